"""Column types shared by every domain's models."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from lms.core.time import as_utc


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every backend (SQLite has no timezone type)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect):
        return as_utc(value)

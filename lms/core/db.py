"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lms.extensions import db


def insert_or_ignore(model: type, values: dict[str, Any], conflict_columns: list[str]) -> bool:
    """INSERT unless a row with the same unique columns exists: safe against double submits.

    Returns True when this call inserted the row.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    # RETURNING tells whether a row was written; psycopg reports no rowcount for this INSERT.
    # Flush first so rows this insert depends on are already written.
    db.session.flush()
    statement = statement.returning(sa.literal_column("1"))
    return db.session.connection().execute(statement).first() is not None

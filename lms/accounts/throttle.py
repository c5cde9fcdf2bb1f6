"""Login throttling: failed sign-ins counted by username and by client address."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import LoginFailure
from lms.core.time import utcnow
from lms.extensions import db


def _normalise(username: str) -> str:
    return username.strip().lower()


def is_throttled(username: str, address: str, *, max_failures: int, window: timedelta) -> bool:
    """True when this username or this address failed too often recently."""
    since = utcnow() - window
    by_user = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == _normalise(username), LoginFailure.at >= since)
    )
    by_address = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.at >= since)
    )
    # An address may host many honest users (an office NAT), so it gets a wider allowance.
    return by_user >= max_failures or by_address >= max_failures * 4


def record_login_failure(username: str, address: str) -> None:
    db.session.add(LoginFailure(username=_normalise(username)[:80], address=address[:64]))
    db.session.flush()

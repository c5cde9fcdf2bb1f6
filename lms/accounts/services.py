"""Account operations. They flush, never commit: the caller owns the transaction."""

from __future__ import annotations

import csv
import functools
import hashlib
import re
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import LoginFailure, LoginSession, Region, User
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.csv"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD_LENGTH = 8


def normalise_username(username: str) -> str:
    return username.strip().lower()


def seed_regions(path: Path = REGIONS_FILE) -> int:
    """Insert or update regions from the data file; returns how many rows were new."""
    existing = {region.code: region for region in db.session.scalars(sa.select(Region))}
    added = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            region = existing.get(row["code"])
            if region is None:
                region = Region(code=row["code"])
                db.session.add(region)
                added += 1
            region.name_ru = row["name_ru"]
            region.name_en = row["name_en"]
            region.federal_district = row["federal_district"]
    db.session.flush()
    return added


def check_region(role: Role | str, region_code: str | None) -> None:
    """A known region code, or none for staff (a coordinator without one is national)."""
    if region_code:
        if db.session.get(Region, region_code) is None:
            raise ValidationError("region", f"Unknown region code {region_code!r}.")
    elif role == Role.CANDIDATE:
        raise ValidationError("region", "A candidate needs a region.")


def create_user(
    username: str,
    password: str,
    role: Role | str,
    *,
    region_code: str | None = None,
    full_name: str = "",
) -> User:
    """Validate and add a user; raises ValidationError naming the offending field."""
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "username", "Username: 2-80 latin letters, digits, dots, dashes or underscores."
        )
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError("role", f"Unknown role {role!r}.") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")
    check_region(role, region_code)
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationError("username", f"User {username!r} already exists.")
    user = User(username=username, role=role, region_code=region_code or None, full_name=full_name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def token_hash(token: str) -> str:
    """What login_sessions stores of a token: its hash, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def is_throttled(username: str, address: str, *, max_failures: int, window: timedelta) -> bool:
    """True when this username or this address failed too often recently."""
    since = utcnow() - window
    by_user = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == normalise_username(username), LoginFailure.at >= since)
    )
    by_address = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.at >= since)
    )
    # An address may host many honest users (an office NAT), so it gets a wider allowance.
    return by_user >= max_failures or by_address >= max_failures * 4


def record_login_failure(username: str, address: str) -> None:
    db.session.add(LoginFailure(username=normalise_username(username)[:80], address=address[:64]))
    db.session.flush()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (callers show one generic message)."""
    user = find_user(username)
    if user is None:
        # Spend the same time as a real check so timing does not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active_account:
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8), method="scrypt")


def start_login_session(user: User, user_agent: str = "") -> str:
    """Create a fresh server-side session; the returned token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=token_hash(token), user_id=user.id, user_agent=user_agent[:200]))
    db.session.query(LoginFailure).filter(LoginFailure.username == user.username).delete()
    user.last_seen_at = utcnow()
    user.current_session_token = token
    db.session.flush()
    return token


def session_user_select(*columns) -> sa.Select:
    """SELECT the user behind a live session token (bind `token_hash`), with `columns` alongside:
    a busy page can read its own rows in the same statement (see `accept_session_user`)."""
    return (
        sa.select(User, *columns)
        .select_from(LoginSession)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == sa.bindparam("token_hash"), LoginSession.revoked_at.is_(None))
    )


# Built once: it runs on every request, and building a statement costs more than running it.
_SESSION_USER = session_user_select()


def accept_session_user(user: User | None, token: str) -> User | None:
    """The user a session token's statement found, if they may still sign in; None otherwise."""
    if user is None or not user.is_active_account:
        return None
    user.current_session_token = token
    return user


def load_session_user(token: str) -> User | None:
    """The user behind a live session token, or None if revoked, unknown or deactivated."""
    return accept_session_user(db.session.scalar(_SESSION_USER, {"token_hash": token_hash(token)}), token)


def end_login_session(token: str | None) -> None:
    if not token:
        return
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def deactivate_user(user: User) -> None:
    """Deactivation ends every session of the user at once."""
    user.is_active_account = False
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.flush()

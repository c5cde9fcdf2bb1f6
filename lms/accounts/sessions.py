"""Server-side login sessions: the cookie holds a random token, the database its hash and state."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from lms.accounts.models import LoginSession, User
from lms.core import transactions
from lms.core.db import commit_without_flush_wait
from lms.core.time import utcnow
from lms.extensions import db

logger = logging.getLogger(__name__)


def token_hash(token: str) -> str:
    """What login_sessions stores of a token: its hash, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(user: User, user_agent: str = "", address: str = "") -> str:
    """Create a fresh server-side session; the returned token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            token_hash=token_hash(token), user_id=user.id, user_agent=user_agent[:200], address=address[:64]
        )
    )
    user.last_seen_at = utcnow()
    user.current_session_token = token
    db.session.flush()
    return token


def session_user_select(*columns) -> sa.Select:
    """SELECT the user behind a live session token, with the session's `session_seen_at` and
    `columns` alongside: a busy page can read its own rows in the same statement (see
    `accept_session_user`). Bind the values of `session_params`."""
    return (
        sa.select(User, LoginSession.last_seen_at.label("session_seen_at"), *columns)
        .select_from(LoginSession)
        .join(User, User.id == LoginSession.user_id)
        .where(
            LoginSession.token_hash == sa.bindparam("token_hash"),
            LoginSession.revoked_at.is_(None),
            LoginSession.last_seen_at > sa.bindparam("idle_since"),
            LoginSession.created_at > sa.bindparam("absolute_since"),
        )
    )


def session_params(token: str, now: datetime | None = None) -> dict[str, object]:
    """The values `session_user_select` binds: the token's hash and the two expiry limits."""
    now = now or utcnow()
    idle_since, absolute_since = _limits(now)
    return {"token_hash": token_hash(token), "idle_since": idle_since, "absolute_since": absolute_since}


def _limits(now: datetime) -> tuple[datetime, datetime]:
    """A session is live if seen after the first and created after the second."""
    config = current_app.config
    return now - config["SESSION_IDLE_TIMEOUT"], now - config["SESSION_ABSOLUTE_TIMEOUT"]


def expires_at(login_session: LoginSession) -> datetime:
    """When a session stops signing in if unused: idle limit or absolute limit, whichever is first."""
    config = current_app.config
    return min(
        login_session.last_seen_at + config["SESSION_IDLE_TIMEOUT"],
        login_session.created_at + config["SESSION_ABSOLUTE_TIMEOUT"],
    )


def session_expiry(token: str | None) -> datetime | None:
    """When this browser's sign-in ends if it is not used again; None without a live session.
    Offline copies of personal pages (the attendance list) are not shown after it."""
    if not token:
        return None
    login_session = db.session.scalar(
        sa.select(LoginSession).where(
            LoginSession.token_hash == token_hash(token), LoginSession.revoked_at.is_(None)
        )
    )
    return expires_at(login_session) if login_session is not None else None


# Built once: it runs on every request, and building a statement costs more than running it.
_SESSION_USER = session_user_select()


def accept_session_user(user: User | None, token: str, seen_at: datetime | None = None) -> User | None:
    """The user a session token's statement found, if they may still sign in; None otherwise.

    `seen_at` is the session's last activity as the statement read it: when older than
    SESSION_TOUCH_INTERVAL, the request ends by writing the new time (see `touch_pending_session`).
    """
    if user is None or not user.is_active_account:
        return None
    user.current_session_token = token
    if seen_at is not None and has_request_context():
        now = utcnow()
        if now - seen_at >= current_app.config["SESSION_TOUCH_INTERVAL"]:
            g.login_session_touch = (token_hash(token), now)
    return user


def load_session_user(token: str) -> User | None:
    """The user behind a live session token, or None if revoked, expired, unknown or deactivated."""
    row = db.session.execute(_SESSION_USER, session_params(token)).first()
    return accept_session_user(row.User if row else None, token, row.session_seen_at if row else None)


_TOUCH = (
    sa.update(LoginSession.__table__)
    .where(LoginSession.__table__.c.token_hash == sa.bindparam("hash"), commit_without_flush_wait())
    .values(last_seen_at=sa.bindparam("now"))
)


def touch_pending_session() -> None:
    """Write the session's new last activity, if this request found it stale: once per interval
    per session, not once per request.

    Runs at the end of the request (a teardown), in a transaction of its own after the request's
    own work is over, so a page that only reads stays a read until then, and on SQLite the write
    lock is taken for this one UPDATE. Whatever the request left uncommitted is rolled back first,
    as the end of the request would have done anyway.
    """
    pending = g.pop("login_session_touch", None)
    if pending is None:
        return
    hash_, now = pending
    db.session.rollback()
    transactions.start_writing()  # a page's transaction would be READ ONLY on PostgreSQL
    try:
        db.session.execute(_TOUCH, {"hash": hash_, "now": now})
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        # Losing one touch costs nothing but precision: the next request tries again.
        db.session.rollback()
        logger.warning("could not record a session's activity", exc_info=True)


def end_login_session(token: str | None) -> None:
    if not token:
        return
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_user_sessions(user: User, *, keep_token: str | None = None) -> int:
    """Revoke every live session of a user (but the one `keep_token` names); returns how many."""
    query = (
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_token:
        query = query.where(LoginSession.token_hash != token_hash(keep_token))
    return db.session.execute(query).rowcount or 0


def end_session_by_id(user: User, session_id: int) -> bool:
    """Revoke one session of `user` by its row id (the sessions page's "end this session")."""
    result = db.session.execute(
        sa.update(LoginSession)
        .where(
            LoginSession.id == session_id, LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)


def live_sessions(user: User) -> list[LoginSession]:
    """A user's sessions that still sign in, newest activity first."""
    idle_since, absolute_since = _limits(utcnow())
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(
                LoginSession.user_id == user.id,
                LoginSession.revoked_at.is_(None),
                LoginSession.last_seen_at > idle_since,
                LoginSession.created_at > absolute_since,
            )
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


def delete_ended_sessions(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete sessions that ended (signed out, revoked or expired) more than `older_than` ago;
    returns how many went. Live sessions are never touched."""
    now = now or utcnow()
    idle_since, absolute_since = _limits(now - older_than)
    cutoff = now - older_than
    result = db.session.execute(
        sa.delete(LoginSession).where(
            sa.or_(
                LoginSession.revoked_at < cutoff,
                LoginSession.last_seen_at <= idle_since,
                LoginSession.created_at <= absolute_since,
            )
        )
    )
    return result.rowcount or 0


_BROWSERS = (
    ("YaBrowser", "Yandex Browser"),
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Chromium", "Chromium"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """ "Firefox, Windows" from a User-Agent header: enough to recognise one's own devices."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return ", ".join(part for part in (browser, system) if part) or (user_agent[:60] or "—")

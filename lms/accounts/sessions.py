"""Server-side login sessions: the cookie holds a random token, the database its hash and state."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from lms.accounts.models import LoginFailure, LoginSession, User
from lms.core.time import utcnow
from lms.extensions import db


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
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


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

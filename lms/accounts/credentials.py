"""A person's login and password: the account a username or email names, the password check at
sign-in, and setting a new password (which ends the user's other sessions).

Kept together because they share the one way of reading a login (trimmed, lower-cased) and the
care taken not to reveal, by an answer or its timing, which accounts exist.
"""

from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import User
from lms.accounts.passwords import check_password_rules
from lms.accounts.sessions import end_user_sessions
from lms.accounts.validation import normalise_username
from lms.audit.services import record
from lms.core.errors import ValidationError
from lms.extensions import db


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def find_user_by_login(identifier: str) -> User | None:
    """The account a username or an email address names (the forgotten-password form takes either)."""
    identifier = identifier.strip().lower()
    if not identifier:
        return None
    column = User.email if "@" in identifier else User.username
    return db.session.scalar(sa.select(User).where(column == identifier))


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (callers show one generic message)."""
    user = find_user(username)
    if user is None or not user.has_password:
        # Spend the same time as a real check so timing does not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active_account:
        return None
    return user


@functools.cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def set_new_password(user: User, password: str, *, keep_token: str | None = None, action: str) -> int:
    """Set a password that passes the rules and end the user's other sessions; returns how many ended.

    `action` names the audit record: password.change, password.reset, password.set (invitation).
    """
    check_password_rules(password, username=user.username, email=user.email or "")
    user.set_password(password)
    ended = end_user_sessions(user, keep_token=keep_token)
    db.session.flush()
    record(action, target=user, details={"sessions_ended": ended})
    return ended


def change_own_password(user: User, current_password: str, new_password: str) -> int:
    """The profile's "change password": the current one first; other sessions end."""
    if not user.check_password(current_password):
        raise ValidationError(
            "wrong_password", _l("The current password is wrong."), field="current_password"
        )
    if current_password == new_password:
        raise ValidationError(
            "same_password", _l("Choose a password different from the current one."), field="password"
        )
    return set_new_password(
        user, new_password, keep_token=user.current_session_token, action="password.change"
    )

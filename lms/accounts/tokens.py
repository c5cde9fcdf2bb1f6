"""Set-password links: signed, time-limited, and bound to the password they replace.

The token carries the user id, its purpose and a fingerprint of the user's current password hash.
Setting a password changes the hash, so a link works once; an invitation re-sent later keeps the
earlier link valid until it expires or either is used.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lms.accounts.models import User
from lms.extensions import db

SALT = "lms.accounts.set-password"


class Purpose(enum.StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class TokenProblem(enum.StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


class TokenRefused(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class SetPasswordRequest:
    user: User
    purpose: Purpose


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def max_age(purpose: Purpose) -> timedelta:
    if purpose is Purpose.INVITATION:
        return current_app.config["INVITATION_MAX_AGE"]
    return current_app.config["PASSWORD_RESET_MAX_AGE"]


def make_token(user: User, purpose: Purpose) -> str:
    return _serializer().dumps({"u": user.id, "p": purpose.value, "h": _fingerprint(user.password_hash)})


def read_token(token: str) -> SetPasswordRequest:
    """The user and purpose a link was made for, or TokenRefused saying why it no longer works."""
    serializer = _serializer()
    try:
        payload = serializer.loads(token)  # signature only; the age depends on the purpose
        purpose = Purpose(payload["p"])
        serializer.loads(token, max_age=int(max_age(purpose).total_seconds()))
        user_id = int(payload["u"])
        fingerprint = str(payload["h"])
    except SignatureExpired:
        raise TokenRefused(TokenProblem.EXPIRED) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise TokenRefused(TokenProblem.INVALID) from None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active_account:
        raise TokenRefused(TokenProblem.INVALID)
    if not hmac.compare_digest(fingerprint, _fingerprint(user.password_hash)):
        raise TokenRefused(TokenProblem.USED)
    return SetPasswordRequest(user, purpose)


def set_password_link(user: User, purpose: Purpose) -> str:
    """The absolute link for a set-password page, on the school's configured address.

    Never built from the request's Host header: a forged Host would otherwise put an attacker's
    address into a real reset email (password-reset poisoning).
    """
    return public_url("accounts.set_password", token=make_token(user, purpose))


def public_url(endpoint: str, **values: object) -> str:
    """An absolute URL on PUBLIC_URL (scheme, host and any path prefix), in or out of a request."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)

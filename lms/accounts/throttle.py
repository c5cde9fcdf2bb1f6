"""Login throttling: every attempt is recorded before its password is checked, then counted.

The policy (README, "Sign-in protection"), inside LOGIN_FAILURE_WINDOW:

- A browser that signed in as a user before carries a signed device cookie naming that user.
  Its attempts for that user are counted for that browser alone: LOGIN_MAX_FAILURES wrong
  passwords lock that browser, nobody else. A guesser elsewhere cannot lock the owner out.
- Attempts from any other browser ("untrusted") share one count per account
  (LOGIN_MAX_FAILURES) and one per client address over all accounts
  (LOGIN_MAX_FAILURES_PER_ADDRESS, wider: an office shares one address).
- The owner without a known browser still has a way in while their account is under attack:
  a set-password link from "Forgot your password?" marks the browser as known.

Check and record are one step: the attempt's row is committed before the count that includes
it, so of any number of parallel guesses at most the limit get their password checked. A
refused attempt's row is deleted (it checked nothing), as is a successful one's; what stays
are wrong passwords.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.accounts.models import LoginFailure
from lms.core.time import utcnow
from lms.extensions import db

# A browser remembers this many accounts (a shared office computer).
DEVICE_COOKIE_ACCOUNTS = 5


class Refusal(StrEnum):
    """Why an attempt was refused without checking its password."""

    DEVICE = "device"  # this known browser typed too many wrong passwords for the account
    ACCOUNT = "account"  # too many wrong passwords for the account from unknown browsers
    ADDRESS = "address"  # too many wrong passwords from this address, over all accounts


@dataclass(frozen=True)
class Attempt:
    id: int
    username: str
    address: str
    device: str | None


def normalise(username: str) -> str:
    return username.strip().lower()[:80]


def record_attempt(
    username: str, address: str, device: str | None, *, now: datetime | None = None
) -> Attempt:
    """Add the attempt's row, to be committed BEFORE `refusal` counts it.

    Also prunes the account's rows that no longer count (the cleanup job prunes the rest).
    """
    now = now or utcnow()
    username = normalise(username)
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.at < now - window)
    )
    row = LoginFailure(username=username, address=address[:64], device=device, at=now)
    db.session.add(row)
    db.session.flush()
    return Attempt(row.id, username, row.address, device)


def refusal(attempt: Attempt, *, now: datetime | None = None) -> Refusal | None:
    """Count the attempts that matter to this one (itself included): None lets it check the password.

    One statement: the attempt's lanes over the window, by account, by address and by browser.
    """
    config = current_app.config
    since = (now or utcnow()) - config["LOGIN_FAILURE_WINDOW"]
    untrusted = LoginFailure.device.is_(None)
    counts = db.session.execute(
        sa.select(
            _count(sa.and_(LoginFailure.username == attempt.username, untrusted)).label("account"),
            _count(sa.and_(LoginFailure.address == attempt.address, untrusted)).label("address"),
            _count(
                sa.and_(LoginFailure.username == attempt.username, LoginFailure.device == attempt.device)
            ).label("device"),
        ).where(
            LoginFailure.at >= since,
            sa.or_(LoginFailure.username == attempt.username, LoginFailure.address == attempt.address),
        )
    ).one()
    limit = config["LOGIN_MAX_FAILURES"]
    if attempt.device is not None:
        return Refusal.DEVICE if counts.device > limit else None
    if counts.account > limit:
        return Refusal.ACCOUNT
    if counts.address > config["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        return Refusal.ADDRESS
    return None


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def forget_attempt(attempt: Attempt) -> None:
    """A refused attempt checked no password: it stops counting."""
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt.id))


def attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: the attempt stops counting, and so do this browser's earlier
    typos (the account's untrusted failures from this address). Others' failures still count."""
    lane = (
        sa.and_(LoginFailure.device.is_(None), LoginFailure.address == attempt.address)
        if attempt.device is None
        else LoginFailure.device == attempt.device
    )
    db.session.execute(
        sa.delete(LoginFailure).where(
            sa.or_(LoginFailure.id == attempt.id, sa.and_(LoginFailure.username == attempt.username, lane))
        )
    )


def delete_old_failures(older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete attempt rows older than `older_than` (they stopped counting long ago)."""
    cutoff = (now or utcnow()) - older_than
    return db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < cutoff)).rowcount or 0


# --- The device cookie: a browser's proof that it signed in as a user before ----------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms-login-device")


def _read_devices(cookie: str | None) -> dict[str, str]:
    """{username: device id} from a device cookie; {} if missing, forged or too old."""
    if not cookie:
        return {}
    max_age = int(current_app.config["LOGIN_DEVICE_MAX_AGE"].total_seconds())
    try:
        devices = _serializer().loads(cookie, max_age=max_age)
    except BadSignature:  # SignatureExpired included
        return {}
    if not isinstance(devices, dict):
        return {}
    return {str(name): str(device) for name, device in devices.items()}


def known_device(username: str, cookie: str | None) -> str | None:
    """The device id this browser holds for the account, if it signed in as it before."""
    return _read_devices(cookie).get(normalise(username))


def remember_device(response: Response, username: str, cookie: str | None) -> None:
    """Mark this browser as known for the account (after a sign-in, or a set-password link).

    A new id each time: failures counted against the old one no longer matter to this browser.
    """
    devices = _read_devices(cookie)
    name = normalise(username)
    devices.pop(name, None)
    devices[name] = secrets.token_hex(16)
    devices = dict(list(devices.items())[-DEVICE_COOKIE_ACCOUNTS:])
    config = current_app.config
    response.set_cookie(
        config["LOGIN_DEVICE_COOKIE"],
        _serializer().dumps(devices),
        max_age=int(config["LOGIN_DEVICE_MAX_AGE"].total_seconds()),
        path="/",
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )

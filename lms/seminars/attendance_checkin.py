"""QR check-in: the code the room screen shows, its check, and the participant's own mark when they
scan it (present, or late after the grace period), with the settings that time all three.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from lms.accounts.models import User
from lms.core.time import utcnow
from lms.seminars.attendance_marks import MarkResult, mark, own_mark
from lms.seminars.attendance_tokens import (
    CheckinWindow,
    arrival_status,
    checkin_window,
    make_checkin_token,
    read_checkin_token,
    time_step,
)
from lms.seminars.models import SeminarSession

# --- Settings -----------------------------------------------------------------------------------


def qr_step_seconds() -> int:
    """How long one QR code is the current one (the room screen refreshes more often)."""
    return int(current_app.config.get("ATTENDANCE_QR_STEP_SECONDS", 60))


def checkin_early() -> timedelta:
    """How long before a session starts its QR check-in opens."""
    return timedelta(minutes=int(current_app.config.get("ATTENDANCE_CHECKIN_EARLY_MINUTES", 15)))


def late_grace() -> timedelta:
    """A check-in this long after the start still counts as on time."""
    return timedelta(minutes=int(current_app.config.get("ATTENDANCE_LATE_GRACE_MINUTES", 10)))


def session_window(session: SeminarSession) -> CheckinWindow:
    return checkin_window(session.starts_at, session.ends_at, checkin_early())


# --- QR check-in --------------------------------------------------------------------------------


def current_token(session: SeminarSession, now: datetime | None = None) -> tuple[str, int]:
    """The code the room screen shows now, and its step."""
    step = time_step(now or utcnow(), qr_step_seconds())
    return make_checkin_token(current_app.config["SECRET_KEY"], session.id, step), step


def verify_token(session: SeminarSession, token: str, now: datetime | None = None) -> int:
    """Raises CheckinRefused unless `token` is this session's current (or previous) code, inside
    the session window."""
    return read_checkin_token(
        current_app.config["SECRET_KEY"],
        token,
        session_id=session.id,
        now=now or utcnow(),
        step_seconds=qr_step_seconds(),
        window=session_window(session),
    )


def check_in(session: SeminarSession, user: User, now: datetime | None = None) -> MarkResult:
    """The participant scanned a valid code: present (late after the grace period). Checking in
    again keeps the first arrival; a staff mark of absent is replaced (they are here)."""
    now = now or utcnow()
    existing = own_mark(session, user)
    if existing is not None and existing.attended:
        return MarkResult(existing, replayed=True)
    status = arrival_status(now, session.starts_at, late_grace())
    return mark(session, user, status, "", by=user, source="qr", now=now)

"""QR check-in codes: signed, bound to one session and one short time step, valid only while the
session runs. Pure (no Flask, no database): the views pass the secret, the clock and the settings.

A code carries the session id and the number of the time step it was made in. The room screen
shows a new one every step; a code is accepted in its own step and the next one, so a code
scanned at the end of a step still works for one more, and a photo of it is useless a few
minutes later. On top of that the session window is checked: a code (even a fresh one, made by
someone who can see the QR page) checks nobody in before the window opens or after it closes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "lms.seminars.attendance-checkin"


class CheckinProblem(enum.StrEnum):
    """Why a code was refused; views map each onto a sentence for the participant."""

    INVALID = "invalid"  # not our signature, or not a code at all
    WRONG_SESSION = "wrong_session"  # a real code, of another session
    EXPIRED = "expired"  # older than the previous step (or from the future)
    EARLY = "early"  # the session's check-in has not opened yet
    CLOSED = "closed"  # the session is over


class CheckinRefused(Exception):
    def __init__(self, problem: CheckinProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class CheckinWindow:
    """When a session's check-in is open: `early` before the start until the end."""

    opens: datetime
    closes: datetime

    def problem_at(self, now: datetime) -> CheckinProblem | None:
        if now < self.opens:
            return CheckinProblem.EARLY
        if now > self.closes:
            return CheckinProblem.CLOSED
        return None


def checkin_window(starts_at: datetime, ends_at: datetime, early: timedelta) -> CheckinWindow:
    return CheckinWindow(opens=starts_at - early, closes=ends_at)


def time_step(now: datetime, step_seconds: int) -> int:
    """The number of the step `now` falls in (steps count from the Unix epoch)."""
    return int(now.timestamp()) // step_seconds


def step_ends(step: int, step_seconds: int) -> float:
    """The Unix time at which a step's code stops being the current one."""
    return float((step + 1) * step_seconds)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def make_checkin_token(secret: str, session_id: int, step: int) -> str:
    """The code for one session in one step (about 40 URL-safe characters)."""
    return _serializer(secret).dumps([session_id, step])


def read_checkin_token(
    secret: str,
    token: str,
    *,
    session_id: int,
    now: datetime,
    step_seconds: int,
    window: CheckinWindow,
) -> int:
    """The step of a valid code for `session_id`; raises CheckinRefused saying why otherwise.

    The signature is checked first (a tampered code says nothing about its session or step),
    then the session, the step (the current one or the one before) and the session window.
    """
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature as error:
        raise CheckinRefused(CheckinProblem.INVALID) from error
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in payload)
    ):
        raise CheckinRefused(CheckinProblem.INVALID)
    token_session, step = payload
    if token_session != session_id:
        raise CheckinRefused(CheckinProblem.WRONG_SESSION)
    current = time_step(now, step_seconds)
    if step not in (current, current - 1):
        raise CheckinRefused(CheckinProblem.EXPIRED)
    problem = window.problem_at(now)
    if problem is not None:
        raise CheckinRefused(problem)
    return step


def arrival_status(now: datetime, starts_at: datetime, grace: timedelta) -> str:
    """ "present" up to `grace` after the start, "late" after it."""
    return "late" if now > starts_at + grace else "present"

"""QR check-in codes, pure: the signature, the session, the step and the session window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from lms.seminars.attendance_tokens import (
    SALT,
    CheckinProblem,
    CheckinRefused,
    arrival_status,
    checkin_window,
    make_checkin_token,
    read_checkin_token,
    time_step,
)

SECRET = "test-secret"
STEP = 60
STARTS = datetime(2027, 3, 15, 7, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=1)
WINDOW = checkin_window(STARTS, ENDS, timedelta(minutes=15))
DURING = STARTS + timedelta(minutes=20)


def read(token: str, *, now: datetime = DURING, session_id: int = 7) -> int:
    return read_checkin_token(SECRET, token, session_id=session_id, now=now, step_seconds=STEP, window=WINDOW)


def refusal(token: str, **kwargs) -> CheckinProblem:
    with pytest.raises(CheckinRefused) as caught:
        read(token, **kwargs)
    return caught.value.problem


def test_a_code_of_this_step_is_valid():
    step = time_step(DURING, STEP)
    assert read(make_checkin_token(SECRET, 7, step)) == step


def test_the_previous_steps_code_is_still_accepted():
    previous = time_step(DURING, STEP) - 1
    assert read(make_checkin_token(SECRET, 7, previous)) == previous


def test_a_code_two_steps_old_has_expired():
    old = time_step(DURING, STEP) - 2
    assert refusal(make_checkin_token(SECRET, 7, old)) == CheckinProblem.EXPIRED


def test_a_code_from_the_future_is_refused():
    ahead = time_step(DURING, STEP) + 1
    assert refusal(make_checkin_token(SECRET, 7, ahead)) == CheckinProblem.EXPIRED


def test_yesterdays_photo_of_the_code_does_not_work():
    yesterday = time_step(DURING - timedelta(days=1), STEP)
    assert refusal(make_checkin_token(SECRET, 7, yesterday)) == CheckinProblem.EXPIRED


def test_another_sessions_code_is_refused():
    token = make_checkin_token(SECRET, 8, time_step(DURING, STEP))
    assert refusal(token) == CheckinProblem.WRONG_SESSION


@pytest.mark.parametrize(
    ("now", "problem"),
    [
        (STARTS - timedelta(minutes=16), CheckinProblem.EARLY),
        (ENDS + timedelta(minutes=1), CheckinProblem.CLOSED),
    ],
)
def test_a_fresh_code_outside_the_session_window_is_refused(now, problem):
    token = make_checkin_token(SECRET, 7, time_step(now, STEP))
    assert refusal(token, now=now) == problem


def test_the_window_opens_early_and_closes_at_the_end():
    for now in (STARTS - timedelta(minutes=15), ENDS):
        assert read(make_checkin_token(SECRET, 7, time_step(now, STEP)), now=now) == time_step(now, STEP)


def test_a_tampered_code_is_invalid():
    token = make_checkin_token(SECRET, 7, time_step(DURING, STEP))
    payload, signature = token.rsplit(".", 1)
    forged = make_checkin_token(SECRET, 8, time_step(DURING, STEP)).rsplit(".", 1)[0] + "." + signature
    assert refusal(forged) == CheckinProblem.INVALID
    flipped = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert refusal(flipped) == CheckinProblem.INVALID


def test_a_code_signed_with_another_secret_is_invalid():
    token = make_checkin_token("another-secret", 7, time_step(DURING, STEP))
    assert refusal(token) == CheckinProblem.INVALID


def test_a_signed_payload_of_another_shape_is_invalid():
    for payload in ({"s": 7}, [7], [7, "x"], [True, 1]):
        assert refusal(URLSafeSerializer(SECRET, salt=SALT).dumps(payload)) == CheckinProblem.INVALID


def test_arrival_is_late_after_the_grace_period():
    grace = timedelta(minutes=10)
    assert arrival_status(STARTS - timedelta(minutes=5), STARTS, grace) == "present"
    assert arrival_status(STARTS + grace, STARTS, grace) == "present"
    assert arrival_status(STARTS + grace + timedelta(seconds=1), STARTS, grace) == "late"

"""Quiz attempts: start, autosave, submit. Idempotent and race-safe; the server keeps the time.

This module holds starting an attempt (its policy, the attempts left, the open one) and tells the
importer which quizzes are in use; the question versions (`versions.py`), an open attempt's writes
(`attempts.py`), grading on submit (`finalise.py`) and the result (`results.py`) live in modules of
their own and are reached here too, as the package's one entry point for other domains.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.content import signals as content_signals
from lms.content.models import Lesson
from lms.core.db import insert_or_ignore, next_number
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes.attempts import (
    DEADLINE_GRACE,
    AttemptClosed,
    Unanswered,
    close_if_expired,
    lock_attempt,
    save_answers,
    submission,
    submit_attempt,
    submit_or_hold,
    unanswered_questions,
)
from lms.quizzes.finalise import refresh_stuck_on_quiz, stuck_on_quiz
from lms.quizzes.grading import layout as make_layout
from lms.quizzes.models import Attempt, QuestionVersion
from lms.quizzes.results import ResultView, result_view
from lms.quizzes.versions import (
    MAX_CACHED_VERSIONS,
    attempt_questions,
    record_question_versions,
    saved_responses,
)

__all__ = [
    "DEADLINE_GRACE",
    "MAX_CACHED_VERSIONS",
    "AttemptClosed",
    "ResultView",
    "Unanswered",
    "attempt_questions",
    "attempts_left",
    "close_if_expired",
    "lock_attempt",
    "open_attempt",
    "policy_of",
    "record_question_versions",
    "refresh_stuck_on_quiz",
    "result_view",
    "save_answers",
    "saved_responses",
    "start_attempt",
    "stuck_on_quiz",
    "submission",
    "submit_attempt",
    "submit_or_hold",
    "unanswered_questions",
    "user_attempts",
]


def policy_of(quiz: Lesson) -> dict:
    return dict((quiz.payload or {}).get("policy") or {})


def _current_versions(quiz: Lesson) -> dict[str, QuestionVersion]:
    """Version rows for the quiz's questions as they are now (created if an import missed them)."""
    questions = (quiz.payload or {}).get("questions", [])
    wanted = {(q["key"], q["hash"]) for q in questions}
    rows = db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.quiz_id == quiz.id)).all()
    found = {(row.question_key, row.content_hash): row for row in rows}
    if not wanted <= set(found):
        record_question_versions([quiz])
        return _current_versions(quiz)
    return {key: found[(key, hash_)] for key, hash_ in wanted}


def user_attempts(user: User, quiz: Lesson) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
            .order_by(Attempt.number)
        )
    )


def attempts_left(user: User, quiz: Lesson) -> int | None:
    """None means unlimited."""
    allowed = policy_of(quiz).get("attempts") or 0
    if not allowed:
        return None
    used = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attempt)
        .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
    )
    return max(0, allowed - used)


def open_attempt(user: User, quiz: Lesson, now: datetime | None = None) -> Attempt | None:
    """The attempt in progress, after closing it if its time ran out."""
    attempt = db.session.scalar(
        sa.select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_(None)
        )
    )
    if attempt is not None and close_if_expired(attempt, now or utcnow()):
        return None
    return attempt


def start_attempt(user: User, quiz: Lesson, now: datetime | None = None) -> Attempt:
    """Start (or return the already open) attempt. Two tabs or a double click get the same one."""
    now = now or utcnow()
    existing = open_attempt(user, quiz, now)
    if existing is not None:
        return existing
    left = attempts_left(user, quiz)
    if left == 0:
        raise ValidationError("no_attempts_left", _l("You have no attempts left for this quiz."))
    policy = policy_of(quiz)
    versions = _current_versions(quiz)
    questions = [version.data for version in versions.values()]
    questions.sort(key=lambda q: q.get("line", 0))
    served = make_layout(questions, policy, secrets.randbits(32))
    number = next_number(Attempt.number, Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
    time_limit = policy.get("time_limit")
    max_score = sum(float(versions[item["key"]].data.get("points", 1)) for item in served)
    insert_or_ignore(
        Attempt,
        {
            "user_id": user.id,
            "quiz_id": quiz.id,
            "number": number,
            "quiz_hash": quiz.source_hash,
            "policy": policy,
            "layout": [
                {"key": item["key"], "version_id": versions[item["key"]].id, "options": item["options"]}
                for item in served
            ],
            "started_at": now,
            "deadline_at": now + timedelta(minutes=time_limit) if time_limit else None,
            "max_score": max_score,
            "closed_by_deadline": False,
        },
        None,  # any unique index: the same number, or another open one (two parallel clicks)
    )
    attempt = db.session.scalar(
        sa.select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_(None)
        )
    )
    if attempt is None:  # a concurrent request started and already submitted it: extremely unlikely
        raise ValidationError(
            "try_again", _l("This was started in another tab at the same moment. Please try again.")
        )
    return attempt


@content_signals.lessons_in_use.connect
def _quizzes_with_attempts(_sender=None, *, lesson_ids: list[int]) -> set[int]:
    """Quizzes someone attempted (passed or not): an import archives them, never deletes attempts."""
    return set(
        db.session.scalars(sa.select(Attempt.quiz_id).where(Attempt.quiz_id.in_(lesson_ids)).distinct())
    )

"""An open attempt's writes: the lock that serialises them, autosave, submit (at once, or held for
confirmation when questions are unanswered) and the close at the deadline. Apart from starting
because these share the deadline check and the form's coercion, and hand grading to `finalise`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content.models import Lesson
from lms.core.db import insert_many_or_ignore
from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes.display import decode_matching
from lms.quizzes.finalise import finalise
from lms.quizzes.models import Attempt, AttemptAnswer
from lms.quizzes.regrade import flag_changed_keys
from lms.quizzes.text import plain_text
from lms.quizzes.types import QUESTION_TYPES
from lms.quizzes.versions import attempt_questions, saved_responses

# Autosaves that left the browser just before the deadline may arrive a moment after it.
DEADLINE_GRACE = timedelta(seconds=3)


class AttemptClosed(Exception):
    """The attempt was already submitted or its time ran out; nothing more can be saved."""


def lock_attempt(attempt: Attempt) -> Attempt:
    """Serialise writers of one attempt (two tabs, a double click) and see its latest state.

    PostgreSQL takes a row lock; SQLite already serialises writing requests (BEGIN IMMEDIATE).
    """
    db.session.scalars(
        sa.select(Attempt)
        .where(Attempt.id == attempt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    db.session.expire(attempt, ["answers"])
    return attempt


# Built once: a submit's first statement. The signed-in user (the session checked as every request
# checks it) and their attempt, locked, with the columns of its quiz that grading and completion
# use. Inner joins: another's attempt, or none, gives no row (and PostgreSQL locks no outer join).
_SUBMISSION = (
    session_user_select(Attempt)
    .join(Attempt, sa.and_(Attempt.id == sa.bindparam("attempt_id"), Attempt.user_id == User.id))
    .join(Lesson, Lesson.id == Attempt.quiz_id)
    .options(
        sa.orm.contains_eager(Attempt.quiz).load_only(
            Lesson.id,
            Lesson.course_id,
            Lesson.module_id,
            Lesson.kind,
            Lesson.key,
            Lesson.title,
            Lesson.version,  # a passed quiz's completion records it
            Lesson.source_hash,  # changed since the start: an import may have changed a key
            Lesson.archived_at,  # and counts it in the module's rollup only while live
        )
    )
    .with_for_update(of=Attempt)
    .execution_options(populate_existing=True)
)


def submission(session_token: str | None, attempt_id: int) -> tuple[User, Attempt] | None:
    """The signed-in user and their attempt `attempt_id`, locked and fresh, in one statement (as
    a get() and `lock_attempt`, in one statement with the user). None when there is no such
    pair: signed out, revoked, deactivated, or not their attempt; the caller tells them apart."""
    if session_token is None:
        return None
    row = db.session.execute(_SUBMISSION, {**session_params(session_token), "attempt_id": attempt_id}).first()
    if row is None:
        return None
    user = accept_session_user(row.User, session_token, row.session_seen_at)
    return None if user is None else (user, row.Attempt)


def _accepting(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is None or now <= attempt.deadline_at + DEADLINE_GRACE


def save_answers(attempt: Attempt, form: Mapping[str, list[str]], now: datetime | None = None) -> int:
    """Autosave: store the responses in the form; returns how many questions have an answer."""
    now = now or utcnow()
    lock_attempt(attempt)
    if not attempt.is_open:
        raise AttemptClosed
    if not _accepting(attempt, now):
        close_if_expired(attempt, now)
        raise AttemptClosed
    return _store_answers(attempt, form, now)


def _store_answers(attempt: Attempt, form: Mapping[str, list[str]], now: datetime) -> int:
    """Write the form's responses onto a locked, open attempt: new rows in one INSERT."""
    existing = {answer.question_key: answer for answer in attempt.answers}
    answered = 0
    new_rows = []
    for item, question in attempt_questions(attempt):
        fields = decode_matching(item, question, dict(form)) if question["type"] == "matching" else form
        response = QUESTION_TYPES[question["type"]].coerce(question, fields)
        answered += response is not None
        row = existing.get(item["key"])
        if row is None:
            new_rows.append(
                {
                    "attempt_id": attempt.id,
                    "question_key": item["key"],
                    "question_version_id": item["version_id"],
                    "response": response,
                    "saved_at": now,
                }
            )
        elif row.response != response:
            row.response = response
            row.saved_at = now
    insert_many_or_ignore(AttemptAnswer, new_rows, ["attempt_id", "question_key"])
    db.session.flush()
    db.session.expire(attempt, ["answers"])
    return answered


@dataclass(frozen=True)
class Unanswered:
    """A question an attempt has no answer to: its number on the page, key and short text."""

    number: int
    key: str
    text: str


def unanswered_questions(attempt: Attempt) -> list[Unanswered]:
    """The questions of an attempt whose saved answer is empty, in the order they are served."""
    responses = saved_responses(attempt)
    return [
        Unanswered(number, item["key"], plain_text(question.get("prompt_html", "")))
        for number, (item, question) in enumerate(attempt_questions(attempt), start=1)
        if responses.get(item["key"]) is None
    ]


def submit_or_hold(
    attempt: Attempt, form: Mapping[str, list[str]], now: datetime | None = None
) -> list[Unanswered]:
    """A submit without confirmation, on an attempt read locked (`submission`): a form that answers
    every question is graded at once (nothing read back); one that leaves some out is saved and
    its unanswered questions returned, to be confirmed first. Raises AttemptClosed like a save."""
    now = now or utcnow()
    if not attempt.is_open:
        raise AttemptClosed
    if not _accepting(attempt, now):
        close_if_expired(attempt, now)
        raise AttemptClosed
    responses = _form_responses(attempt, form)
    if any(response is None for response in responses.values()):
        _store_answers(attempt, form, now)
        return unanswered_questions(attempt)
    _grade(attempt, now, closed_by_deadline=False, responses=responses)
    return []


def close_if_expired(attempt: Attempt, now: datetime) -> bool:
    """Close an attempt whose deadline passed, grading the answers saved by then."""
    if attempt.is_open and not _accepting(attempt, now):
        _grade(attempt, attempt.deadline_at, closed_by_deadline=True)
        return True
    return False


def submit_attempt(
    attempt: Attempt,
    form: Mapping[str, list[str]] | None,
    now: datetime | None = None,
    *,
    locked: bool = False,
) -> Attempt:
    """Submit once. Repeats (double click, retry, second tab) return the same graded attempt.

    `locked`: the caller read the attempt locked (`submission`) in this transaction. With a form,
    its responses are graded and written together with their credit (no read of the saved ones)."""
    now = now or utcnow()
    if not locked:
        lock_attempt(attempt)
    if not attempt.is_open:
        return attempt
    if not _accepting(attempt, now):
        close_if_expired(attempt, now)
        return attempt
    responses = None if form is None else _form_responses(attempt, form)
    _grade(attempt, now, closed_by_deadline=False, responses=responses)
    return attempt


def _grade(
    attempt: Attempt, at: datetime, *, closed_by_deadline: bool, responses: dict[str, object] | None = None
) -> None:
    """`finalise`, then flag a changed answer key for staff when the quiz was re-imported while
    the attempt was open: it is graded by the keys it was served, as the attempts submitted before
    the import were, and those were flagged by the import (docs/authoring.md)."""
    finalise(attempt, at, closed_by_deadline=closed_by_deadline, responses=responses)
    if attempt.quiz_hash != attempt.quiz.source_hash:
        flag_changed_keys([attempt.quiz])


def _form_responses(attempt: Attempt, form: Mapping[str, list[str]]) -> dict[str, object]:
    """The response to each served question that the form holds (None where it holds none)."""
    responses: dict[str, object] = {}
    for item, question in attempt_questions(attempt):
        fields = decode_matching(item, question, dict(form)) if question["type"] == "matching" else form
        responses[item["key"]] = QUESTION_TYPES[question["type"]].coerce(question, fields)
    return responses

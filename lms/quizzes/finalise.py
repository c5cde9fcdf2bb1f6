"""Grading a submitted attempt, exactly once: its score, the claim of its row (one UPDATE), its
answers written with their credit (one upsert), then the completion it earns and the "stuck on a
quiz" flag. Apart because the statements built once here serve only this one step, which every
way an attempt ends (a submit, a confirmed submit, a deadline) goes through."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from lms.content.models import Lesson
from lms.core.models import UTCDateTime
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment
from lms.quizzes.models import Attempt, AttemptAnswer
from lms.quizzes.types import QUESTION_TYPES
from lms.quizzes.versions import attempt_questions, saved_responses


def finalise(
    attempt: Attempt, at: datetime, *, closed_by_deadline: bool, responses: dict[str, object] | None = None
) -> None:
    """Grade the attempt on the server, exactly once: the saved responses, or `responses` (a
    submitted form's), which are stored with their credit. The row lock taken before makes this
    request the only writer; the UPDATE's condition on `submitted_at` still guards the claim."""
    from_form = responses is not None
    if responses is None:
        responses = saved_responses(attempt)
    credits: dict[str, float] = {}
    score = 0.0
    for item, question in attempt_questions(attempt):
        response = responses.get(item["key"])
        credit = QUESTION_TYPES[question["type"]].grade(question, response) if response is not None else 0.0
        credits[item["key"]] = credit
        score += credit * float(question.get("points", 1))
    score = round(score, 4)
    percent = round(100 * score / attempt.max_score, 2) if attempt.max_score else 0.0
    graded = {
        "submitted_at": at,
        "closed_by_deadline": closed_by_deadline,
        "score": score,
        "percent": percent,
        "passed": percent >= float(attempt.policy.get("pass_mark", 70)),
    }
    claimed = db.session.execute(_CLAIM, {"attempt_id": attempt.id, **_claim_params(graded)}).rowcount
    if claimed != 1:
        db.session.refresh(attempt)
        return  # another request submitted it first and graded it
    # This request holds the row lock and made the change: record it without reading it back.
    for name, value in graded.items():
        set_committed_value(attempt, name, value)
    _write_answers(attempt, responses if from_form else None, credits, at)
    # A first attempt cannot change the stuck flag: its quiz had no submitted attempt before and
    # has one now, and "stuck" needs two failed ones; every other quiz is as it was. A completion
    # stores the flag with the enrolment's counts (one UPDATE); otherwise it has its own.
    stuck = _STUCK if attempt.number > 1 else None
    if not _record_completion(attempt, stuck=stuck) and stuck is not None:
        refresh_stuck_on_quiz(user_id=attempt.user_id, course_id=attempt.quiz.course_id)


_attempts = Attempt.__table__
_GRADED = ("submitted_at", "closed_by_deadline", "score", "percent", "passed")
# Built once: the claim of a submission. Each value binds as `new_<column>` (a bind may not take
# the name of a column it sets) with the column's type.
_CLAIM = (
    sa.update(_attempts)
    .where(_attempts.c.id == sa.bindparam("attempt_id"), _attempts.c.submitted_at.is_(None))
    .values({name: sa.bindparam(f"new_{name}") for name in _GRADED})
)


def _claim_params(graded: dict[str, object]) -> dict[str, object]:
    return {f"new_{name}": graded[name] for name in _GRADED}


def _upsert_answers(insert, with_responses: bool) -> sa.Insert:
    statement = insert(AttemptAnswer.__table__)
    changed = {"credit": statement.excluded.credit}
    if with_responses:
        changed |= {"response": statement.excluded.response, "saved_at": statement.excluded.saved_at}
    return statement.on_conflict_do_update(index_elements=["attempt_id", "question_key"], set_=changed)


def _unnested_answers() -> sa.Select:
    """PostgreSQL: the answer rows from one array per column, so the upsert is one statement with
    six parameters (psycopg runs an executemany as one statement per row, in a pipeline)."""
    columns = (
        ("question_key", sa.String),
        ("question_version_id", sa.Integer),
        ("response", sa.Text),  # JSON texts, cast back below
        ("credit", sa.Float),
    )
    rows = (
        sa.func.unnest(*(sa.bindparam(f"{name}s", type_=postgresql.ARRAY(kind)) for name, kind in columns))
        .table_valued(*(name for name, _ in columns))
        .render_derived(name="served")
    )
    return sa.select(
        sa.bindparam("attempt_id", type_=sa.Integer),
        rows.c.question_key,
        rows.c.question_version_id,
        sa.cast(rows.c.response, postgresql.JSON),
        sa.bindparam("saved_at", type_=UTCDateTime),
        rows.c.credit,
    )


_ANSWER_COLUMNS = ["attempt_id", "question_key", "question_version_id", "response", "saved_at", "credit"]
_INSERTS = {
    "postgresql": lambda table: postgresql.insert(table).from_select(_ANSWER_COLUMNS, _unnested_answers()),
    "sqlite": sqlite.insert,
}
# Built once per dialect: (dialect, with the responses) -> INSERT … ON CONFLICT DO UPDATE.
_UPSERT_ANSWERS = {
    (name, with_responses): _upsert_answers(insert, with_responses)
    for name, insert in _INSERTS.items()
    for with_responses in (False, True)
}


def _write_answers(
    attempt: Attempt, responses: dict[str, object] | None, credits: dict[str, float], at: datetime
) -> None:
    """One INSERT … ON CONFLICT for every served question: its credit, and with `responses` the
    response too (a question never answered gets a row with no response)."""
    dialect = db.session.get_bind().dialect.name
    served = [item for item, _question in attempt_questions(attempt)]
    answer = (lambda key: responses.get(key)) if responses is not None else (lambda key: None)
    if dialect == "postgresql":
        parameters: dict | list = {
            "attempt_id": attempt.id,
            "saved_at": at,
            "question_keys": [item["key"] for item in served],
            "question_version_ids": [item["version_id"] for item in served],
            # As sa.JSON stores a Python None: the JSON null, not SQL NULL.
            "responses": [json.dumps(answer(item["key"])) for item in served],
            "credits": [credits[item["key"]] for item in served],
        }
    else:
        parameters = [
            {
                "attempt_id": attempt.id,
                "question_key": item["key"],
                "question_version_id": item["version_id"],
                "response": answer(item["key"]),
                "saved_at": at,
                "credit": credits[item["key"]],
            }
            for item in served
        ]
    db.session.execute(_UPSERT_ANSWERS[dialect, responses is not None], parameters)
    db.session.expire(attempt, ["answers"])


def stuck_on_quiz(user_id, course_id) -> sa.Exists:
    """Some quiz of the course has two or more failed attempts and no passed one (SQL EXISTS)."""
    failed = sa.func.sum(sa.case((Attempt.passed.is_(False), 1), else_=0))
    passed = sa.func.sum(sa.case((Attempt.passed.is_(True), 1), else_=0))
    return sa.exists(
        sa.select(Attempt.quiz_id)
        .join(Lesson, Lesson.id == Attempt.quiz_id)
        .where(Attempt.user_id == user_id, Lesson.course_id == course_id, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.quiz_id)
        .having(failed >= 2, passed == 0)
    )


# Built once: whether an enrolment (of the UPDATE it is used in) is stuck.
_STUCK = stuck_on_quiz(Enrolment.user_id, Enrolment.course_id)


def refresh_stuck_on_quiz(*, user_id: int | None = None, course_id: int | None = None) -> None:
    """Tell progress which enrolments are stuck on a quiz: one candidate's course after grading,
    or all of them (`flask lms rollups --rebuild`). Progress owns the flag and its UPDATE."""
    progress.set_stuck_on_quiz(_STUCK, user_id=user_id, course_id=course_id)


def _record_completion(attempt: Attempt, *, stuck: sa.ColumnElement[bool] | None = None) -> bool:
    """A passed quiz (or any submitted one when passing is not required) completes the item.
    True when this call completed it (and stored the `stuck` flag, if given, on the enrolment)."""
    if attempt.passed or not attempt.policy.get("required", True):
        return bool(progress.complete_lesson(attempt.user, attempt.quiz, stuck_on_quiz=stuck))
    return False

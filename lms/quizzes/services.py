"""Quiz attempts: start, autosave, submit. Idempotent and race-safe; the server keeps the time."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content import signals as content_signals
from lms.content.models import Lesson
from lms.core.db import insert_many_or_ignore, insert_or_ignore, next_number
from lms.core.errors import ValidationError
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment
from lms.quizzes.display import decode_matching
from lms.quizzes.grading import layout as make_layout
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion
from lms.quizzes.text import plain_text
from lms.quizzes.types import QUESTION_TYPES

# Autosaves that left the browser just before the deadline may arrive a moment after it.
DEADLINE_GRACE = timedelta(seconds=3)


class AttemptClosed(Exception):
    """The attempt was already submitted or its time ran out; nothing more can be saved."""


def policy_of(quiz: Lesson) -> dict:
    return dict((quiz.payload or {}).get("policy") or {})


def record_question_versions(quizzes: list[Lesson]) -> int:
    """Pin every question of these quizzes as an immutable version; returns how many were new."""
    if not quizzes:
        return 0
    known = set(
        db.session.execute(
            sa.select(
                QuestionVersion.quiz_id, QuestionVersion.question_key, QuestionVersion.content_hash
            ).where(QuestionVersion.quiz_id.in_([quiz.id for quiz in quizzes]))
        ).all()
    )
    added = 0
    for quiz in quizzes:
        for question in (quiz.payload or {}).get("questions", []):
            if (quiz.id, question["key"], question["hash"]) in known:
                continue
            db.session.add(
                QuestionVersion(
                    quiz_id=quiz.id,
                    question_key=question["key"],
                    content_hash=question["hash"],
                    kind=question["type"],
                    data=question,
                )
            )
            added += 1
    db.session.flush()
    return added


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


# Built once: the served questions' data, as plain values (versions never change: nothing to track).
_VERSION_DATA = sa.select(QuestionVersion.id, QuestionVersion.data).where(
    QuestionVersion.id.in_(sa.bindparam("ids", expanding=True))
)
# Question versions per worker, by id: a version row never changes and is never deleted (attempts
# pin it), so a submit need not read the served questions again. Bounded like the fragments; a
# database recreated under a running server needs a restart (its ids would start over).
MAX_CACHED_VERSIONS = 20_000


def _cached_versions() -> dict[int, dict]:
    return current_app.extensions.setdefault("quiz_question_versions", {})


def attempt_questions(attempt: Attempt) -> list[tuple[dict, dict]]:
    """(layout item, question data as served) pairs in the attempt's order.

    The data comes from the worker's cache of versions (read-only: shared between requests);
    only versions it has not seen yet are read, in one statement.
    """
    known = _cached_versions()
    missing = [item["version_id"] for item in attempt.layout if item["version_id"] not in known]
    if missing:
        if len(known) + len(missing) > MAX_CACHED_VERSIONS:
            known.clear()
        known.update(db.session.execute(_VERSION_DATA, {"ids": missing}).all())
    return [(item, known[item["version_id"]]) for item in attempt.layout]


def saved_responses(attempt: Attempt) -> dict[str, object]:
    return {answer.question_key: answer.response for answer in attempt.answers}


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
    _finalise(attempt, now, closed_by_deadline=False, responses=responses)
    return []


def close_if_expired(attempt: Attempt, now: datetime) -> bool:
    """Close an attempt whose deadline passed, grading the answers saved by then."""
    if attempt.is_open and not _accepting(attempt, now):
        _finalise(attempt, attempt.deadline_at, closed_by_deadline=True)
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
    _finalise(attempt, now, closed_by_deadline=False, responses=responses)
    return attempt


def _form_responses(attempt: Attempt, form: Mapping[str, list[str]]) -> dict[str, object]:
    """The response to each served question that the form holds (None where it holds none)."""
    responses: dict[str, object] = {}
    for item, question in attempt_questions(attempt):
        fields = decode_matching(item, question, dict(form)) if question["type"] == "matching" else form
        responses[item["key"]] = QUESTION_TYPES[question["type"]].coerce(question, fields)
    return responses


def _finalise(
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


@dataclass
class ResultView:
    """What the result page may show, per the quiz's `show_answers` policy."""

    attempt: Attempt
    show_answers: bool
    items: list[dict]


def result_view(attempt: Attempt) -> ResultView:
    rule = attempt.policy.get("show_answers", "always")
    show = rule == "always" or (rule == "after_pass" and bool(attempt.passed))
    responses = {answer.question_key: answer for answer in attempt.answers}
    # A regraded answer is shown against the key that graded it, so the marks match the score.
    graded_ids = [answer.graded_version_id for answer in attempt.answers if answer.graded_version_id]
    graded = (
        {
            row.id: row.data
            for row in db.session.scalars(
                sa.select(QuestionVersion).where(QuestionVersion.id.in_(graded_ids))
            )
        }
        if graded_ids
        else {}
    )
    items = []
    for item, question in attempt_questions(attempt):
        answer = responses.get(item["key"])
        if answer is not None and answer.graded_version_id in graded:
            question = graded[answer.graded_version_id]
        items.append(
            {
                "layout": item,
                "question": question,
                "response": answer.response if answer else None,
                "credit": answer.credit if answer else 0.0,
            }
        )
    return ResultView(attempt, show, items)


@content_signals.lessons_in_use.connect
def _quizzes_with_attempts(_sender=None, *, lesson_ids: list[int]) -> set[int]:
    """Quizzes someone attempted (passed or not): an import archives them, never deletes attempts."""
    return set(
        db.session.scalars(sa.select(Attempt.quiz_id).where(Attempt.quiz_id.in_(lesson_ids)).distinct())
    )

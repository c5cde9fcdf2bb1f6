"""Answer keys changed by an import: flag the questions whose earlier attempts were graded by
another key, and regrade them only when course staff ask for it (audited, never silently)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.services import record
from lms.content.models import Lesson
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import services as progress
from lms.quizzes.finalise import refresh_stuck_on_quiz
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion, RegradeFlag
from lms.quizzes.text import plain_text
from lms.quizzes.types import QUESTION_TYPES


def answer_key(question: dict) -> dict:
    """What grading reads of a question: its type, points, accepted answers and right options.

    Wording, feedback and explanations are left out: changing them changes no score.
    """
    return {
        "type": question.get("type"),
        "points": float(question.get("points", 1)),
        "answer": question.get("answer") or {},
        "options": [
            [option.get("key"), bool(option.get("correct"))] for option in question.get("options", [])
        ],
    }


def _versions_graded_otherwise(quiz_id: int, key: str, current: dict) -> list[int]:
    wanted = answer_key(current)
    versions = db.session.scalars(
        sa.select(QuestionVersion).where(
            QuestionVersion.quiz_id == quiz_id, QuestionVersion.question_key == key
        )
    ).all()
    return [version.id for version in versions if answer_key(version.data) != wanted]


def _stale_answers(quiz_id: int, key: str, current: dict) -> sa.Select:
    """Submitted answers to question `key` of a quiz whose credit came from another answer key:
    the served version's, or the one a previous regrade used."""
    stale_ids = _versions_graded_otherwise(quiz_id, key, current)
    graded_by = sa.func.coalesce(AttemptAnswer.graded_version_id, AttemptAnswer.question_version_id)
    return (
        sa.select(AttemptAnswer)
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .where(
            Attempt.quiz_id == quiz_id,
            Attempt.submitted_at.is_not(None),
            AttemptAnswer.question_key == key,
            graded_by.in_(stale_ids) if stale_ids else sa.false(),
        )
        .order_by(AttemptAnswer.id)
    )


def _current_version_id(quiz_id: int, question: dict) -> int | None:
    return db.session.scalar(
        sa.select(QuestionVersion.id).where(
            QuestionVersion.quiz_id == quiz_id,
            QuestionVersion.question_key == question["key"],
            QuestionVersion.content_hash == question["hash"],
        )
    )


def flag_changed_keys(quizzes: list[Lesson]) -> int:
    """After an import: open a flag for each question whose key now differs from the one earlier
    submitted attempts were graded by (one open flag per question). Returns how many were opened."""
    opened = 0
    for quiz in quizzes:
        open_keys = set(
            db.session.scalars(
                sa.select(RegradeFlag.question_key).where(
                    RegradeFlag.quiz_id == quiz.id, RegradeFlag.resolved_at.is_(None)
                )
            )
        )
        for question in (quiz.payload or {}).get("questions", []):
            if question["key"] in open_keys:
                continue
            stale = _stale_answers(quiz.id, question["key"], question)
            if not db.session.scalar(sa.select(stale.exists())):
                continue
            version_id = _current_version_id(quiz.id, question)
            db.session.add(RegradeFlag(quiz_id=quiz.id, question_key=question["key"], version_id=version_id))
            opened += 1
    db.session.flush()
    return opened


@dataclass(frozen=True)
class FlagView:
    """An open flag as the item analysis page lists it."""

    question_key: str
    title: str
    flagged_at: datetime
    attempts: int  # submitted attempts graded by another key


def _current_questions(quiz: Lesson) -> dict[str, dict]:
    return {question["key"]: question for question in (quiz.payload or {}).get("questions", [])}


def _open(quiz: Lesson, *, lock: bool = False) -> list[RegradeFlag]:
    """The quiz's open flags; `lock` makes a second regrade (a double click) wait for the first
    and then find them resolved (PostgreSQL row locks; SQLite serialises writers anyway)."""
    query = (
        sa.select(RegradeFlag)
        .where(RegradeFlag.quiz_id == quiz.id, RegradeFlag.resolved_at.is_(None))
        .order_by(RegradeFlag.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def open_flags(quiz: Lesson) -> list[FlagView]:
    """The quiz's questions waiting for a regrade decision, with the attempts each concerns."""
    current = _current_questions(quiz)
    views = []
    for flag in _open(quiz):
        question = current.get(flag.question_key)
        if question is None:  # removed from the quiz since: nothing to regrade against
            continue
        stale = _stale_answers(quiz.id, flag.question_key, question).subquery()
        count = db.session.scalar(sa.select(sa.func.count(sa.distinct(stale.c.attempt_id))))
        title = plain_text(question.get("prompt_html", "")) or flag.question_key
        views.append(FlagView(flag.question_key, title, flag.flagged_at, int(count or 0)))
    return views


@dataclass
class RegradeResult:
    questions: list[str] = field(default_factory=list)
    attempts: int = 0
    changed: list[dict] = field(default_factory=list)


def _points(question: dict) -> float:
    return float(question.get("points", 1))


def regrade_flagged(quiz: Lesson, actor: User) -> RegradeResult:
    """Grade every answer of the flagged questions again by the current key, recompute those
    attempts' scores, completions and "stuck" flags, resolve the flags and audit the change.

    The answers stay pinned to the version the candidate was served (what they saw is kept);
    only their credit and the attempt's score follow the new key.
    """
    result = RegradeResult()
    flags = _open(quiz, lock=True)
    if not flags:
        return result
    current = _current_questions(quiz)
    touched: dict[int, Attempt] = {}
    for flag in flags:
        question = current.get(flag.question_key)
        if question is not None:
            result.questions.append(flag.question_key)
            kind = QUESTION_TYPES[question["type"]]
            version_id = _current_version_id(quiz.id, question)
            flag.version_id = version_id or flag.version_id  # the key actually applied
            for answer in db.session.scalars(_stale_answers(quiz.id, flag.question_key, question)):
                answer.credit = kind.grade(question, answer.response) if answer.response is not None else 0.0
                answer.graded_version_id = version_id
                touched[answer.attempt_id] = answer.attempt
        flag.resolved_at = utcnow()
        flag.resolved_by_id = actor.id
    regraded = {key: current[key] for key in result.questions}
    users: dict[int, User] = {}
    for attempt in sorted(touched.values(), key=lambda row: row.id):
        old_score = attempt.score
        served = {version.question_key: version.data for version in (a.version for a in attempt.answers)}
        served.update({key: regraded[key] for key in served if key in regraded})
        credits = {answer.question_key: answer.credit or 0.0 for answer in attempt.answers}
        score = sum(credits.get(key, 0.0) * _points(question) for key, question in served.items())
        attempt.max_score = sum(_points(question) for question in served.values())
        attempt.score = round(score, 4)
        attempt.percent = round(100 * score / attempt.max_score, 2) if attempt.max_score else 0.0
        attempt.passed = attempt.percent >= float(attempt.policy.get("pass_mark", 70))
        users[attempt.user_id] = attempt.user
        if attempt.score != old_score:
            result.changed.append({"attempt": attempt.id, "old_score": old_score, "new_score": attempt.score})
    result.attempts = len(touched)
    db.session.flush()
    for user in users.values():
        _recount_completion(user, quiz)
    if users:
        refresh_stuck_on_quiz(course_id=quiz.course_id)
    record(
        "quiz.regrade",
        actor=actor,
        target=quiz,
        target_type="quiz",
        target_label=quiz.key,
        details={"questions": result.questions, "attempts": result.attempts, "changed": result.changed},
    )
    db.session.flush()
    return result


def _recount_completion(user: User, quiz: Lesson) -> None:
    """The quiz counts as done when some submitted attempt passed (or passing is not required)."""
    attempts = db.session.scalars(
        sa.select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None)
        )
    ).all()
    done = any(a.passed or not a.policy.get("required", True) for a in attempts)
    if done:
        progress.complete_lesson(user, quiz)
    else:
        progress.uncomplete_lesson(user, quiz)

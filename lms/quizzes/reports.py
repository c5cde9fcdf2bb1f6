"""What quizzes tell other domains: item analysis for instructors and coordinators, and each
candidate's attempts and best results for the coordinators' dashboards. Dashboards read quizzes
through these functions only, never through the models."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.extensions import db
from lms.quizzes.analysis import AttemptRecord, QuestionStats, QuizStats, analyse
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion
from lms.quizzes.text import plain_text
from lms.quizzes.types import QUESTION_TYPE_LABELS


@dataclass
class QuestionReport:
    stats: QuestionStats
    question: dict  # the current version's data (or the latest served one if removed since)
    versions: int
    removed: bool

    @property
    def title(self) -> str:
        """The question's text, shortened to one line: what people know a question by."""
        return plain_text(self.question.get("prompt_html", ""))

    @property
    def shortened(self) -> bool:
        return self.title != plain_text(self.question.get("prompt_html", ""), limit=100_000)

    @property
    def type_label(self) -> str:
        """The question type in the reader's language ("Один вариант"), never its key."""
        label = QUESTION_TYPE_LABELS.get(self.question.get("type", ""))
        return gettext(label) if label else ""


@dataclass
class ItemAnalysis:
    quiz: Lesson
    summary: QuizStats
    questions: list[QuestionReport]


def item_analysis(quiz: Lesson, *, region_code: str | None = None) -> ItemAnalysis:
    """Statistics over every submitted attempt of a quiz, optionally for one region."""
    attempt_query = sa.select(Attempt.id, Attempt.percent, Attempt.passed).where(
        Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None)
    )
    if region_code:
        attempt_query = attempt_query.join(User, User.id == Attempt.user_id).where(
            User.region_code == region_code
        )
    attempts = db.session.execute(attempt_query).all()
    answers: dict[int, dict[str, tuple[float, object]]] = defaultdict(dict)
    if attempts:
        rows = db.session.execute(
            sa.select(
                AttemptAnswer.attempt_id,
                AttemptAnswer.question_key,
                AttemptAnswer.credit,
                AttemptAnswer.response,
            )
            .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None))
        )
        wanted = {row.id for row in attempts}
        for row in rows:
            if row.attempt_id in wanted:
                answers[row.attempt_id][row.question_key] = (row.credit or 0.0, row.response)
    records = [AttemptRecord(float(row.percent or 0), answers.get(row.id, {})) for row in attempts]

    current = {q["key"]: q for q in (quiz.payload or {}).get("questions", [])}
    versions = db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.quiz_id == quiz.id).order_by(QuestionVersion.id)
    ).all()
    latest: dict[str, dict] = {}
    version_counts: dict[str, int] = defaultdict(int)
    for version in versions:
        latest[version.question_key] = version.data
        version_counts[version.question_key] += 1
    served_keys = {key for record in records for key in record.answers}
    keys = list(current) + sorted(served_keys - set(current))
    types = {key: (current.get(key) or latest.get(key) or {}).get("type", "single") for key in keys}
    summary = analyse(records, types, passed=[bool(row.passed) for row in attempts])
    reports = [
        QuestionReport(
            stats=stats,
            question=current.get(stats.key) or latest.get(stats.key) or {"key": stats.key},
            versions=version_counts.get(stats.key, 0),
            removed=stats.key not in current,
        )
        for stats in summary.questions
    ]
    return ItemAnalysis(quiz, summary, reports)


def candidate_attempts(user_id: int) -> list[Attempt]:
    """Every attempt of one candidate, newest first (open ones too), for their record page."""
    return list(
        db.session.scalars(
            sa.select(Attempt).where(Attempt.user_id == user_id).order_by(Attempt.started_at.desc())
        )
    )


# Built once: the region page asks for every page of its list.
_BEST_RESULTS = (
    sa.select(Attempt.user_id, Lesson.course_id, sa.func.max(Attempt.percent), sa.func.count())
    .join(Lesson, Lesson.id == Attempt.quiz_id)
    .where(Attempt.user_id.in_(sa.bindparam("user_ids", expanding=True)), Attempt.submitted_at.is_not(None))
    .group_by(Attempt.user_id, Lesson.course_id)
)


def best_results(user_ids: list[int]) -> dict[tuple[int, int], tuple[float | None, int]]:
    """(candidate id, course id) -> (best percent, submitted attempts), for these candidates only."""
    found: dict[tuple[int, int], tuple[float | None, int]] = {}
    # Plain rows through Core: the ORM adds nothing to four columns but time.
    rows = db.session.connection().execute(_BEST_RESULTS, {"user_ids": list(user_ids)})
    for user_id, course_id, best, count in rows:
        found[(user_id, course_id)] = (best, count)
    return found


def best_percents(user_id: int, quiz_ids: Sequence[int]) -> dict[int, float]:
    """Quiz id -> the candidate's best submitted score in percent (quizzes never submitted: absent)."""
    if not quiz_ids:
        return {}
    rows = db.session.execute(
        sa.select(Attempt.quiz_id, sa.func.max(Attempt.percent))
        .where(
            Attempt.user_id == user_id,
            Attempt.quiz_id.in_(list(quiz_ids)),
            Attempt.submitted_at.is_not(None),
            Attempt.percent.is_not(None),
        )
        .group_by(Attempt.quiz_id)
    )
    return {quiz_id: float(best) for quiz_id, best in rows}

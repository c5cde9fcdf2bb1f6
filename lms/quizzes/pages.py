"""What the quiz pages (start, attempt, result) read per request, each in one statement.

As the lesson page does (lms.progress.services.lesson_page): the session's user and the page's
rows as plain columns in one statement built once at import, no ORM objects to track. What is
the same for everybody (the quiz's text and rules, a question as served by its immutable version)
is rendered into cached fragments by the templates; what is personal (attempts, saved answers,
the deadline, scores) comes from here on every request and stays outside those fragments.

This module holds the start page and the quiz's content for its cached parts; the attempt and
result pages (`attempt_pages.py`) and a saved answer filled into cached markup (`answer_markup.py`)
live in modules of their own and are reached here too, so views import one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content import services as content
from lms.content.models import Course, Lesson, Module
from lms.core.roles import Role
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment, LessonProgress
from lms.quizzes import services
from lms.quizzes.answer_markup import Served, with_answer
from lms.quizzes.attempt_pages import AttemptPage, Review, attempt_page, deadline_passed
from lms.quizzes.models import Attempt

__all__ = [
    "AttemptPage",
    "AttemptRow",
    "QuizContent",
    "Review",
    "Served",
    "StartPage",
    "attempt_page",
    "deadline_passed",
    "start_page",
    "with_answer",
]


# --- The start page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRow:
    """One of the candidate's attempts as the start page lists it."""

    id: int
    number: int
    submitted_at: datetime | None
    deadline_at: datetime | None
    percent: float | None
    passed: bool | None


@dataclass(frozen=True)
class StartPage:
    """The quiz start page's changing parts: the quiz's identity and stamp, the reader's visit
    state (a `LessonPage`, so a visit is recorded exactly as a lesson's) and their attempts."""

    course_key: str
    course_id: int
    quiz_key: str
    title: str
    content_stamp: tuple
    visit: progress.LessonPage
    allowed_attempts: int  # 0: unlimited
    attempts: list[AttemptRow] = field(default_factory=list)

    @property
    def open_attempt(self) -> AttemptRow | None:
        return next((attempt for attempt in self.attempts if attempt.submitted_at is None), None)

    @property
    def attempts_left(self) -> int | None:
        """None means unlimited (as services.attempts_left)."""
        if not self.allowed_attempts:
            return None
        return max(0, self.allowed_attempts - len(self.attempts))

    def expired_attempt(self, now: datetime) -> int | None:
        """The id of an open attempt whose deadline passed: the page closes it before showing."""
        attempt = self.open_attempt
        if attempt is not None and deadline_passed(attempt.deadline_at, attempt.submitted_at, now):
            return attempt.id
        return None


# The user, the live quiz with its module and course, the reader's enrolment and progress on it,
# and one row per attempt of theirs (none: one row with empty attempt columns). Each joined on its
# own condition, so a missing quiz still returns the user.
_START_PAGE = (
    session_user_select(
        Course.id.label("course_id"),
        Course.updated_at.label("course_updated_at"),
        Course.gates,
        Lesson.id.label("quiz_id"),
        Lesson.kind,
        Lesson.title,
        Lesson.complete_mode,
        Lesson.render_key,
        Lesson.updated_at,
        Lesson.payload[("policy", "attempts")].as_integer().label("allowed_attempts"),
        Module.id.label("module_id"),
        Module.updated_at.label("module_updated_at"),
        Enrolment.id.label("enrolment_id"),
        Enrolment.last_lesson_id,
        Enrolment.last_activity_at,
        LessonProgress.first_viewed_at,
        LessonProgress.completed_at,
        Attempt.id.label("attempt_id"),
        Attempt.number,
        Attempt.submitted_at,
        Attempt.deadline_at,
        Attempt.percent,
        Attempt.passed,
    )
    .outerjoin(Course, sa.and_(Course.key == sa.bindparam("course_key"), Course.archived_at.is_(None)))
    .outerjoin(
        Lesson,
        sa.and_(
            Lesson.course_id == Course.id,
            Lesson.key == sa.bindparam("quiz_key"),
            Lesson.archived_at.is_(None),
        ),
    )
    .outerjoin(Module, sa.and_(Module.id == Lesson.module_id, Module.archived_at.is_(None)))
    .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == User.id))
    .outerjoin(
        LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == User.id)
    )
    .outerjoin(
        Attempt,
        sa.and_(Attempt.quiz_id == Lesson.id, Attempt.user_id == User.id, User.role == Role.CANDIDATE.value),
    )
    .order_by(Attempt.number)
)


def start_page(
    session_token: str | None, course_key: str, quiz_key: str
) -> tuple[User | None, StartPage | None]:
    """The start page's one statement. (None, None) when nobody is signed in, (user, None) when
    there is no such live quiz; attempts and progress only for candidates."""
    if session_token is None:
        return None, None
    rows = db.session.execute(
        _START_PAGE, {**session_params(session_token), "course_key": course_key, "quiz_key": quiz_key}
    ).all()
    first = rows[0] if rows else None
    user = accept_session_user(
        first.User if first else None, session_token, first.session_seen_at if first else None
    )
    if user is None or first.quiz_id is None or first.module_id is None or first.kind != "quiz":
        return user, None
    reader = user.role == Role.CANDIDATE
    visit = progress.LessonPage(
        lesson_id=first.quiz_id,
        kind=first.kind,
        title=first.title,
        complete_mode=first.complete_mode,
        lesson_count=0,
        content_stamp=(),
        enrolment_id=first.enrolment_id if reader else None,
        lessons_done=0,
        last_lesson_id=first.last_lesson_id if reader else None,
        last_activity_at=first.last_activity_at if reader else None,
        viewed=reader and first.first_viewed_at is not None,
        completed=reader and first.completed_at is not None,
        module_id=first.module_id,
        gates=first.gates or {},
    )
    attempts = [
        AttemptRow(row.attempt_id, row.number, row.submitted_at, row.deadline_at, row.percent, row.passed)
        for row in rows
        if row.attempt_id is not None
    ]
    return user, StartPage(
        course_key=course_key,
        course_id=first.course_id,
        quiz_key=quiz_key,
        title=first.title,
        content_stamp=(
            first.quiz_id,
            first.render_key,
            first.updated_at,
            first.module_updated_at,
            first.course_updated_at,
        ),
        visit=visit,
        allowed_attempts=first.allowed_attempts or 0,
        attempts=attempts,
    )


class QuizContent:
    """The quiz with its course and module, loaded only when a cached part of a page has to be
    rendered (a first view since start-up or since the content changed)."""

    def __init__(self, course_key: str, quiz_key: str) -> None:
        self.course_key, self.quiz_key = course_key, quiz_key

    @cached_property
    def quiz(self) -> Lesson:
        return content.live_lesson_page_or_404(self.course_key, self.quiz_key)

    @cached_property
    def policy(self) -> dict:
        return services.policy_of(self.quiz)

    @cached_property
    def question_count(self) -> int:
        return len(self.quiz.payload.get("questions", []))

    @cached_property
    def next_item(self) -> progress.OutlineItem | None:
        return progress.neighbours(self.quiz.course, self.quiz)[1]

"""The candidate's home ("My courses") read in one statement: the session's user, every live
course, and that user's enrolment, progress and resume lesson on each, as plain columns.

What a course card shows the same to everybody (title, summary, number of steps, link) is cached
by the template under the card's `stamp`; what is personal (progress, due dates, completion, the
resume card) comes from this statement on every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content.models import Course, Lesson
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.models import Enrolment, percent_done
from lms.progress.page_columns import rebuilt_on_change, with_page_columns


@dataclass(frozen=True, slots=True)
class CourseCard:
    """What a course's card shows the same to every reader; `stamp` changes whenever any of it does."""

    id: int
    key: str
    title: str
    summary: str
    lesson_count: int
    estimated_hours: float | None
    updated_at: datetime

    @property
    def stamp(self) -> tuple:
        return (self.id, self.updated_at, self.lesson_count)


@dataclass(frozen=True, slots=True)
class EnrolledCard:
    """A course the user is enrolled on, with their progress on it."""

    course: CourseCard
    lessons_done: int
    completed_at: datetime | None
    due_on: date | None
    last_activity_at: datetime | None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return percent_done(self.lessons_done, self.course.lesson_count)

    @property
    def started(self) -> bool:
        """Some step is done: the way on is "Continue"; before that, "Start" (as `Enrolment.started`)."""
        return self.lessons_done > 0


@dataclass(frozen=True, slots=True)
class ResumeItem:
    """The item the candidate opened last, as `item_url(resume.course, resume)` needs it."""

    course: CourseCard
    id: int
    kind: str
    key: str
    title: str
    started: bool


@dataclass(frozen=True, slots=True)
class HomePage:
    enrolled: list[EnrolledCard]
    catalogue: list[CourseCard]  # live courses the user is not enrolled on
    resume: ResumeItem | None

    @property
    def due(self) -> list[EnrolledCard]:
        """Enrolled courses not completed yet that have a due date, soonest first."""
        return sorted((card for card in self.enrolled if card.due_on and not card.completed_at), key=_due_on)


def _due_on(card: EnrolledCard) -> date:
    return card.due_on  # type: ignore[return-value]  # only cards with a due date are sorted


_COLUMNS = (
    Course.id.label("course_id"),
    Course.key.label("course_key"),
    Course.title.label("course_title"),
    Course.summary,
    Course.lesson_count,
    Course.estimated_hours,
    Course.updated_at,
    Enrolment.id.label("enrolment_id"),
    Enrolment.lessons_done,
    Enrolment.completed_at,
    Enrolment.due_on,
    Enrolment.last_activity_at,
    Lesson.id.label("resume_id"),
    Lesson.kind.label("resume_kind"),
    Lesson.key.label("resume_key"),
    Lesson.title.label("resume_title"),
)
# The user and the session's time come first, then these: the entries' columns follow.
_EXTRA_FROM = 2 + len(_COLUMNS)


@rebuilt_on_change
@cache
def _statement() -> sa.Select:
    """Built once (per set of lms.progress.page_columns): it runs on every home page. Every live course is
    joined to the user on a condition of its own, so a school without courses still returns the
    user; the resume lesson is the live lesson each enrolment last opened."""
    statement = (
        session_user_select(*_COLUMNS)
        .outerjoin(Course, Course.archived_at.is_(None))
        .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == User.id))
        .outerjoin(Lesson, sa.and_(Lesson.id == Enrolment.last_lesson_id, Lesson.archived_at.is_(None)))
    )
    statement = with_page_columns(statement)
    return statement.order_by(Course.position, Course.title)


def _activity_order(card: EnrolledCard) -> tuple:
    """Most recent activity first, never-opened courses last (then the school's order)."""
    return (card.last_activity_at is not None, card.last_activity_at or 0)


def home_page(session_token: str | None) -> tuple[User | None, HomePage | None]:
    """The home page's one statement: the session's user and their page; (None, None) when
    nobody is signed in. The resume card is for candidates only."""
    if session_token is None:
        return None, None
    result = db.session.execute(_statement(), session_params(session_token))
    extra_labels = tuple(result.keys())[_EXTRA_FROM:]
    rows = result.all()
    first = rows[0] if rows else None
    user = accept_session_user(
        first.User if first else None, session_token, first.session_seen_at if first else None
    )
    if user is None:
        return None, None
    enrolled: list[EnrolledCard] = []
    catalogue: list[CourseCard] = []
    resumes = {}  # course id -> its enrolment's live resume lesson (id, kind, key, title)
    # Unpacked by position, in the order of _COLUMNS: cheaper than reading each column by name.
    for (
        _user,
        _seen_at,
        course_id,
        course_key,
        course_title,
        summary,
        lesson_count,
        estimated_hours,
        updated_at,
        enrolment_id,
        lessons_done,
        completed_at,
        due_on,
        last_activity_at,
        *resume_item,
    ) in rows:
        if course_id is None:
            continue  # no live course at all: the user's row alone
        course = CourseCard(
            course_id, course_key, course_title, summary, lesson_count, estimated_hours, updated_at
        )
        if enrolment_id is None:
            catalogue.append(course)
            continue
        extra = dict(zip(extra_labels, resume_item[4:], strict=True))
        enrolled.append(EnrolledCard(course, lessons_done, completed_at, due_on, last_activity_at, extra))
        if resume_item[0] is not None:
            resumes[course_id] = resume_item[:4]
    # A stable sort keeps the school's order (position, title) among equal activity.
    enrolled.sort(key=_activity_order, reverse=True)
    resume = None
    if user.role == Role.CANDIDATE:
        card = next((card for card in enrolled if card.course.id in resumes), None)
        if card is not None:
            resume = ResumeItem(card.course, *resumes[card.course.id], started=card.started)
    return user, HomePage(enrolled=enrolled, catalogue=catalogue, resume=resume)

"""Progress operations: idempotent, race-safe, and keeping the enrolment rollup current.

This module holds a visit to an item (the lesson page's one statement, the touches of a repeat
visit); enrolment, completion, the recount after an import and the outline live in modules of
their own and are reached here too, as the package's one entry point for other domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content.models import Course, Lesson, Module
from lms.core.db import commit_without_flush_wait, insert_or_ignore
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import module_rollup, rollups
from lms.progress.completion import (
    Completed,
    CountedEnrolment,
    complete_lesson,
    requirement_changed,
    set_stuck_on_quiz,
    uncomplete_lesson,
)
from lms.progress.enrolments import change_region, enrol, enrol_new, get_enrolment
from lms.progress.models import Enrolment, LessonProgress, percent_done
from lms.progress.outline import (
    LessonStatus,
    ModuleOutline,
    OutlineItem,
    course_outline,
    first_unfinished_lesson,
    live_outline_rows,
    neighbours,
    resume_lesson,
)
from lms.progress.recount import count_completed_live, refresh_course_rollups

__all__ = [
    "TOUCH_INTERVAL",
    "Completed",
    "CountedEnrolment",
    "ItemVisit",
    "LessonPage",
    "LessonStatus",
    "ModuleOutline",
    "OutlineItem",
    "change_region",
    "complete_lesson",
    "count_completed_live",
    "course_outline",
    "enrol",
    "enrol_new",
    "first_unfinished_lesson",
    "get_enrolment",
    "lesson_page",
    "live_outline_rows",
    "neighbours",
    "record_view",
    "refresh_course_rollups",
    "requirement_changed",
    "resume_lesson",
    "set_stuck_on_quiz",
    "touch_enrolment",
    "uncomplete_lesson",
]


def record_view(user: User, lesson: Lesson) -> LessonProgress:
    """Note that the user opened a lesson; lessons set to complete on view complete here."""
    enrolment = enrol(user, lesson.course)
    now = utcnow()
    if insert_or_ignore(
        LessonProgress,
        {"user_id": user.id, "lesson_id": lesson.id, "first_viewed_at": now},
        ["user_id", "lesson_id"],
    ):
        module_rollup.opened(user.id, lesson)
    enrolment.last_lesson_id = lesson.id
    first_activity = enrolment.last_activity_at is None
    enrolment.last_activity_at = now
    if first_activity:
        rollups.recount(enrolment)
    if lesson.complete_mode == "view":
        complete_lesson(user, lesson)
    return _progress_row(user, lesson)


# A repeat visit to the same lesson within this time writes nothing: "last activity" feeds
# inactivity lists counted in days, and a reload must not queue for SQLite's write lock.
TOUCH_INTERVAL = timedelta(minutes=5)


class ItemVisit:
    """Whether opening an item now writes, from what a page's one statement read of the reader's
    visits: the lesson, quiz start and assignment pages share it. The page's dataclass provides
    the fields named below."""

    __slots__ = ()
    item_id: int
    complete_mode: str
    enrolment_id: int | None
    last_lesson_id: int | None
    last_activity_at: datetime | None
    viewed: bool
    completed: bool

    def is_first_visit(self) -> bool:
        """Whether this visit creates rows (enrolment, progress, completion on view)."""
        return (
            self.enrolment_id is None
            or not self.viewed
            or self.last_activity_at is None
            or (self.complete_mode == "view" and not self.completed)
        )

    def needs_touch(self, now: datetime) -> bool:
        """Whether a repeat visit moves the enrolment's last item or activity (one UPDATE)."""
        return self.enrolment_id is not None and (
            self.last_lesson_id != self.item_id or self.activity_is_stale(now)
        )

    def activity_is_stale(self, now: datetime) -> bool:
        """Whether the enrolment's last activity is TOUCH_INTERVAL old or more: a visit moves it
        then, and only then (moving on to the next lesson sooner moves the resume point alone)."""
        return self.last_activity_at is None or now - self.last_activity_at >= TOUCH_INTERVAL


@dataclass(frozen=True, slots=True)
class LessonPage(ItemVisit):
    """What a lesson page needs that may change between two requests, read in one statement.

    The lesson's text, pager and contents are not here: the page caches them as rendered HTML
    under `content_stamp`, which changes whenever anything they show changes.
    """

    lesson_id: int
    kind: str
    title: str
    complete_mode: str
    lesson_count: int
    content_stamp: tuple
    enrolment_id: int | None
    lessons_done: int
    last_lesson_id: int | None
    last_activity_at: datetime | None
    viewed: bool
    completed: bool
    module_id: int = 0
    gates: dict = field(default_factory=dict)  # the course's gates (lms.progress.gates)

    @property
    def percent(self) -> int:
        return percent_done(self.lessons_done, self.lesson_count)

    @property
    def item_id(self) -> int:  # type: ignore[override]
        return self.lesson_id


# Built once: it runs on every lesson page. The signed-in user, then the lesson, its course and
# module and the reader's progress as plain columns (no ORM objects to track or expire), each
# joined on its own condition so that a missing lesson still returns the user.
_LESSON_PAGE = (
    session_user_select(
        Lesson.id.label("lesson_id"),
        Lesson.kind,
        Lesson.title,
        Lesson.complete_mode,
        Lesson.render_key,
        Lesson.updated_at,
        Module.id.label("module_id"),
        Module.updated_at.label("module_updated_at"),
        Course.updated_at.label("course_updated_at"),
        Course.lesson_count,
        Course.gates,
        Enrolment.id.label("enrolment_id"),
        Enrolment.lessons_done,
        Enrolment.last_lesson_id,
        Enrolment.last_activity_at,
        LessonProgress.first_viewed_at,
        LessonProgress.completed_at,
    )
    .outerjoin(Course, sa.and_(Course.key == sa.bindparam("course_key"), Course.archived_at.is_(None)))
    .outerjoin(
        Lesson,
        sa.and_(
            Lesson.course_id == Course.id,
            Lesson.key == sa.bindparam("lesson_key"),
            Lesson.archived_at.is_(None),
        ),
    )
    .outerjoin(Module, sa.and_(Module.id == Lesson.module_id, Module.archived_at.is_(None)))
    .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == User.id))
    .outerjoin(
        LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == User.id)
    )
)


def lesson_page(
    session_token: str | None, course_key: str, lesson_key: str
) -> tuple[User | None, LessonPage | None]:
    """The lesson page's one statement: the session's user, and the live lesson with that user's
    progress on it (progress only for candidates). (None, None) when nobody is signed in,
    (user, None) when there is no such live lesson."""
    if session_token is None:
        return None, None
    row = db.session.execute(
        _LESSON_PAGE,
        {**session_params(session_token), "course_key": course_key, "lesson_key": lesson_key},
    ).first()
    user = accept_session_user(row.User if row else None, session_token, row.session_seen_at if row else None)
    if user is None or row.lesson_id is None or row.module_id is None:
        return user, None
    reader = user.role == Role.CANDIDATE
    enrolment_id = row.enrolment_id if reader else None
    return user, LessonPage(
        lesson_id=row.lesson_id,
        kind=row.kind,
        title=row.title,
        complete_mode=row.complete_mode,
        lesson_count=row.lesson_count,
        content_stamp=(
            row.lesson_id,
            row.render_key,
            row.updated_at,
            row.module_updated_at,
            row.course_updated_at,
        ),
        enrolment_id=enrolment_id,
        lessons_done=(row.lessons_done or 0) if reader else 0,
        last_lesson_id=row.last_lesson_id if reader else None,
        last_activity_at=row.last_activity_at if reader else None,
        viewed=reader and row.first_viewed_at is not None,
        completed=reader and row.completed_at is not None,
        module_id=row.module_id,
        gates=row.gates or {},
    )


_enrolments = Enrolment.__table__


def _touch(*, activity: bool) -> sa.Update:
    values = {"last_lesson_id": sa.bindparam("opened_lesson_id")}
    if activity:
        values["last_activity_at"] = sa.bindparam("now")
    return (
        sa.update(_enrolments)
        .where(_enrolments.c.id == sa.bindparam("enrolment_id"), commit_without_flush_wait())
        .values(**values)
    )


# The resume point alone changes no indexed column: on PostgreSQL the row can be updated in place
# (a HOT update, no index entry written), where moving last_activity_at writes one in each of the
# enrolments' activity and at-risk indexes.
_TOUCH_RESUME = _touch(activity=False)
_TOUCH_RESUME_AND_ACTIVITY = _touch(activity=True)


def touch_enrolment(enrolment_id: int, lesson_id: int, now: datetime, *, activity: bool = True) -> None:
    """Remember the lesson for "continue" and, with `activity`, the time for inactivity lists, in
    one UPDATE.

    Takes ids, not objects: it runs after a commit, when loaded objects would reload first.
    """
    db.session.connection().execute(
        _TOUCH_RESUME_AND_ACTIVITY if activity else _TOUCH_RESUME,
        {"enrolment_id": enrolment_id, "opened_lesson_id": lesson_id, "now": now},
    )


def _progress_row(user: User, lesson: Lesson) -> LessonProgress:
    row = db.session.scalar(
        sa.select(LessonProgress).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id
        )
    )
    assert row is not None
    return row

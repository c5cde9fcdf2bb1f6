"""Progress rows reference content by database id, and content rows are keyed by stable ids."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.content.models import Course, Lesson
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db

# The at-risk lists' own rows (insights.risk_queries), for their partial indexes below.
_IDLE = "completed_at IS NULL AND last_activity_at IS NOT NULL"
_WAITING = "completed_at IS NULL AND last_activity_at IS NULL"
_OVERDUE = "status = 'overdue' AND completed_at IS NULL"


def _partial_index(name: str, columns: tuple, where: str, *, dialect: str | None = None) -> sa.Index:
    """An index of the rows matching `where` on both databases (or only on `dialect`'s)."""
    index = sa.Index(name, *columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    return index if dialect is None else index.ddl_if(dialect=dialect)


class Enrolment(db.Model):
    """A candidate on a course, with the rollup the dashboards and progress bars read."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", name="uq_enrolments_user_course"),
        sa.Index("ix_enrolments_user_activity", "user_id", "last_activity_at"),
        # With due_on, the region page reads a region's latest due date per course from the index.
        sa.Index("ix_enrolments_region_course_status", "region_code", "course_id", "status", "due_on"),
        sa.Index("ix_enrolments_cohort_course_status", "cohort_id", "course_id", "status"),
        # A region's at-risk lists are counted from this index alone (and its few stuck on a quiz
        # paged from it).
        sa.Index(
            "ix_enrolments_region_open",
            "region_code",
            "completed_at",
            "course_id",
            "last_activity_at",
            "enrolled_at",
            "status",
            "stuck_on_quiz",
            "due_on",
        ),
        # Each long at-risk list of a region in its own order (insights.RISK_ORDER) and holding only
        # its own rows, so its page is the first rows of the index: no sort of the whole region.
        _partial_index("ix_enrolments_region_idle", ("region_code", "last_activity_at", "id"), _IDLE),
        _partial_index("ix_enrolments_region_waiting", ("region_code", "enrolled_at", "id"), _WAITING),
        # Never-active first within a due date, as the list orders them: PostgreSQL sorts NULL last
        # unless told, SQLite always sorts it first (and takes no NULLS FIRST in an index).
        _partial_index(
            "ix_enrolments_region_overdue",
            ("region_code", "due_on", sa.text("last_activity_at NULLS FIRST"), "id"),
            _OVERDUE,
            dialect="postgresql",
        ),
        _partial_index(
            "ix_enrolments_region_overdue",
            ("region_code", "due_on", "last_activity_at", "id"),
            _OVERDUE,
            dialect="sqlite",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_lesson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lessons.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rollup: live lessons completed; kept current in the same transaction as each completion.
    lessons_done: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    # The effective due date: the cohort's for this course unless overridden for this candidate.
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    due_overridden: Mapped[bool] = mapped_column(default=False)
    # not_started | on_track | behind | overdue | completed; counted in the region/cohort rollups.
    status: Mapped[str] = mapped_column(sa.String(20), default="not_started", index=True)
    # The candidate's region, copied so region rollups and filters need no join to users. Indexed
    # only as the first column of the region indexes above (a lone index of it would be redundant).
    region_code: Mapped[str | None] = mapped_column(sa.String(3))
    # Rollup for the at-risk list: some quiz of this course failed twice and never passed. Set in
    # quiz grading's transaction: quizzes call progress.services.set_stuck_on_quiz with their rule.
    stuck_on_quiz: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()

    @property
    def percent(self) -> int:
        return percent_done(self.lessons_done, self.course.lesson_count)

    @property
    def started(self) -> bool:
        """Some step is done: the way on is "Continue"; before that, "Start" (even if one was opened)."""
        return self.lessons_done > 0


def percent_done(lessons_done: int, lesson_count: int) -> int:
    """A progress bar's figure: whole percent, never above 100 (a course can shrink)."""
    return 0 if lesson_count == 0 else min(100, round(100 * lessons_done / lesson_count))


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_progress_user_lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    first_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lesson version the candidate completed, so later edits can be told apart.
    completed_version: Mapped[int | None] = mapped_column()

    lesson: Mapped[Lesson] = relationship()

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class Cohort(db.Model):
    """A training group: candidates of one region (or national) on one campaign, with dates."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    campaign: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An archived cohort keeps its members' history but takes no new members or courses.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    courses: Mapped[list[CohortCourse]] = relationship(back_populates="cohort", cascade="all, delete-orphan")


class CohortMember(db.Model):
    """A candidate in a cohort. Membership is its own row, so a cohort without courses yet can
    have members; their enrolments in the cohort's courses carry the cohort for the rollups."""

    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortCourse(db.Model):
    """A course a cohort takes, with the cohort's due date for it."""

    __tablename__ = "cohort_courses"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "course_id", name="uq_cohort_courses_cohort_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date | None] = mapped_column(sa.Date)

    cohort: Mapped[Cohort] = relationship(back_populates="courses")
    course: Mapped[Course] = relationship()


class RegionCourseStats(db.Model):
    """Rollup per region and course: how many candidates are in each status. Dashboards read this."""

    __tablename__ = "region_course_stats"

    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)
    not_started: Mapped[int] = mapped_column(default=0)
    on_track: Mapped[int] = mapped_column(default=0)
    behind: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    lessons_done: Mapped[int] = mapped_column(default=0)


class RegionCourseWeek(db.Model):
    """Rollup per region, course and week (Monday of the UTC day): completions in that week.

    The region page's completion chart reads it instead of grouping the region's enrolments.
    """

    __tablename__ = "region_course_weeks"

    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    week_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    completions: Mapped[int] = mapped_column(default=0)


class CohortCourseStats(db.Model):
    """The same rollup per cohort and course."""

    __tablename__ = "cohort_course_stats"

    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)
    not_started: Mapped[int] = mapped_column(default=0)
    on_track: Mapped[int] = mapped_column(default=0)
    behind: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    lessons_done: Mapped[int] = mapped_column(default=0)

"""Progress rows reference content by database id, and content rows are keyed by stable ids."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.content.models import Course, Lesson
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class Enrolment(db.Model):
    """A candidate on a course, with the rollup the dashboards and progress bars read."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", name="uq_enrolments_user_course"),
        sa.Index("ix_enrolments_user_activity", "user_id", "last_activity_at"),
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

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()

    @property
    def percent(self) -> int:
        total = self.course.lesson_count
        return 0 if total == 0 else min(100, round(100 * self.lessons_done / total))


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

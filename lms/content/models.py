"""Imported course content. Rows are keyed by the stable ids authors write in front matter."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class ContentMixin:
    """Columns every imported document has: its stable key, source hash and rendered body."""

    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    source_path: Mapped[str] = mapped_column(sa.String(500))
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    render_key: Mapped[str] = mapped_column(sa.String(64))
    html: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    toc: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Links, images and anchors found at render time, so unchanged files are re-checked
    # against the current tree without rendering them again.
    render_meta: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Course(ContentMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    folder: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[str] = mapped_column(sa.String(300), default="")
    estimated_hours: Mapped[float | None] = mapped_column(sa.Float)
    completion_kind: Mapped[str] = mapped_column(sa.String(20), default="all")
    completion_percent: Mapped[int] = mapped_column(default=100)
    # The item kinds the completion rule counts (front matter `completion: {lessons: all, ...}`).
    completion_items: Mapped[list] = mapped_column(
        sa.JSON, default=lambda: ["lesson", "quiz", "scenario", "assignment"]
    )
    # What the rule asks beyond items, answered above content through
    # progress.signals.requirement_met: [{"kind": "attendance", "seminar": key, "percent": N|None}].
    completion_requirements: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    lesson_completion: Mapped[str] = mapped_column(sa.String(20), default="button")
    # Count of live lessons, kept by the importer so progress bars need no COUNT per request.
    lesson_count: Mapped[int] = mapped_column(default=0)
    # Live items in course order, [{"id", "key", "kind", "title"}], also kept by the importer: the
    # lesson pager and "next" links read it instead of querying modules and lessons per request.
    item_order: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Prerequisites and release date as written (`requires`, `opens`), and every gate of the course
    # and its live modules in one place, kept by the importer: {"course": gate, "modules":
    # {"<module id>": gate}}, each gate {"title", "requires": [...], "opens": "YYYY-MM-DD" | None}.
    requires: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    opens_on: Mapped[date | None] = mapped_column(sa.Date)
    gates: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    @property
    def lessons_required(self) -> int:
        """How many lessons make the course complete under its rule."""
        return lessons_required(self.lesson_count, self.completion_kind, self.completion_percent)


def lessons_required(lesson_count: int, completion_kind: str, completion_percent: int) -> int:
    """`Course.lessons_required` from the course's columns, for code that reads them without the row."""
    if completion_kind == "percent":
        return max(1, -(-lesson_count * completion_percent // 100))
    return lesson_count


class Module(ContentMixin, db.Model):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    folder: Mapped[str] = mapped_column(sa.String(200))
    requires: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    opens_on: Mapped[date | None] = mapped_column(sa.Date)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class Lesson(ContentMixin, db.Model):
    __tablename__ = "lessons"
    __table_args__ = (sa.Index("ix_lessons_course_path", "course_id", "path_in_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    # Denormalised so course-wide queries (outline, progress) skip the modules join.
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="lesson")
    minutes: Mapped[int | None] = mapped_column()
    complete_mode: Mapped[str] = mapped_column(sa.String(20), default="button")
    path_in_course: Mapped[str] = mapped_column(sa.String(500))
    # Kind-specific data made at import (a quiz's policy and questions with rendered HTML).
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    module: Mapped[Module] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()


class CourseStaff(db.Model):
    """An instructor assigned to a course: their review queue, grading and item analysis cover it."""

    __tablename__ = "course_staff"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseAsset(db.Model):
    """A file that a course's pages show (an image), kept content-addressed in the storage at import
    (key `<sha256>` of the asset store), so any node serves it from the database and the store
    alone, without the `courses/` folder."""

    __tablename__ = "course_assets"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    path_in_course: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentRename(db.Model):
    """An id a course, module or item had before `renamed_from` gave it a new one. Addresses with
    the old id (a bookmark, a page left open while the course was re-imported) are sent on to the
    new one, a form's POST included, so an answer typed meanwhile is not lost to a 404."""

    __tablename__ = "content_renames"

    old_key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    new_key: Mapped[str] = mapped_column(sa.String(80))
    renamed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

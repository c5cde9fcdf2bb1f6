"""Per candidate and module: how many of the module's live items they opened and completed.

The course heatmap reads one row per candidate and module here instead of every lesson_progress
row of the candidates it shows. Like the other rollups (lms.progress.rollups), the counts move in
the same transaction as the progress event that changes them: lms.progress.services calls
`opened` when a progress row is created and `completed` when an item is done or undone. A content
import adds, archives and moves items between modules: `refresh_course` (on
`course_items_changed`) recounts that course, and `rebuild` recounts everything (it runs with
`rollups.rebuild_stats`, which the tests compare the incremental counts against).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.progress.models import LessonProgress


class ModuleProgress(db.Model):
    """A candidate's live items in one module: opened (a progress row exists) and completed."""

    __tablename__ = "module_progress"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Indexed for a course's recount after an import (rows of that course's modules).
    module_id: Mapped[int] = mapped_column(
        sa.ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    opened: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)


_table = ModuleProgress.__table__


def _add(user_id: int, lesson: Lesson, *, opened: int = 0, done: int = 0) -> None:
    """Add to the candidate's counts for the lesson's module, creating the row: one upsert."""
    if lesson.archived_at is not None:
        return  # archived items are not counted (a recount would not count them either)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_table).values(user_id=user_id, module_id=lesson.module_id, opened=opened, done=done)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "module_id"],
        set_={"opened": _table.c.opened + opened, "done": _table.c.done + done},
    )
    db.session.execute(statement)


def opened(user_id: int, lesson: Lesson) -> None:
    """A progress row was created for the lesson (the call that inserted it, only)."""
    _add(user_id, lesson, opened=1)


def completed(user_id: int, lesson: Lesson, delta: int) -> None:
    """The lesson was completed (+1) or undone (-1), by the call that changed completed_at."""
    _add(user_id, lesson, done=delta)


def _counts(*conditions: sa.ColumnElement[bool]) -> sa.Select:
    """The counts from raw rows, for the live lessons matching `conditions`."""
    return (
        sa.select(
            LessonProgress.user_id,
            Lesson.module_id,
            sa.func.count().label("opened"),
            sa.func.count(LessonProgress.completed_at).label("done"),
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.archived_at.is_(None), *conditions)
        .group_by(LessonProgress.user_id, Lesson.module_id)
    )


def refresh_course(course: Course) -> None:
    """Recount a course's rows after its items changed (one DELETE, one INSERT … SELECT)."""
    db.session.flush()
    module_ids = sa.select(Module.id).where(Module.course_id == course.id).scalar_subquery()
    db.session.execute(sa.delete(_table).where(_table.c.module_id.in_(module_ids)))
    counts = _counts(Lesson.course_id == course.id, Lesson.module_id.in_(module_ids))
    db.session.execute(sa.insert(_table).from_select(["user_id", "module_id", "opened", "done"], counts))


def rebuild() -> None:
    """Recount every row from the progress rows."""
    db.session.flush()
    db.session.execute(sa.delete(_table))
    db.session.execute(sa.insert(_table).from_select(["user_id", "module_id", "opened", "done"], _counts()))


def snapshot() -> dict[tuple[int, int], tuple[int, int]]:
    """(user id, module id) → (opened, done) for rows with anything counted, for comparisons."""
    rows = db.session.execute(sa.select(_table.c.user_id, _table.c.module_id, _table.c.opened, _table.c.done))
    return {(user, module): (opened, done) for user, module, opened, done in rows if opened or done}

"""What a course keeps of its tree after an import, for pages to read: its items' count and order, gates."""

from __future__ import annotations

import sqlalchemy as sa

from lms.content.models import Course, Lesson, Module
from lms.content.signals import course_items_changed
from lms.core.time import utcnow
from lms.extensions import db


def refresh_counts(course: Course, *, outline_changed: bool = False) -> None:
    """Recount the course's live items and record their order; progress (a receiver of
    `course_items_changed`) then brings the course's enrolments and rollups up to date.

    The course's `updated_at` changes with its outline: the order of its items, or anything the
    course page lists of a module or an item (`outline_changed`: a title, a summary, minutes, a
    module added or gone). Lesson pages cache their pager and the course page its outline under it.
    """
    items = db.session.execute(
        sa.select(Lesson.id, Lesson.key, Lesson.kind, Lesson.title)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
        .order_by(Module.position, Lesson.position)
    ).all()
    course.lesson_count = len(items)
    item_order = [{"id": id_, "key": key, "kind": kind, "title": title} for id_, key, kind, title in items]
    if course.item_order != item_order:
        course.item_order = item_order
        outline_changed = True
    if outline_changed:
        course.updated_at = utcnow()
    gates = _gates(course)
    if course.gates != gates:
        course.gates = gates
    course_items_changed.send(course)


def _gate(row: Course | Module) -> dict | None:
    if not row.requires and row.opens_on is None:
        return None
    opens = row.opens_on.isoformat() if row.opens_on else None
    return {"key": row.key, "title": row.title, "requires": row.requires, "opens": opens}


def _gates(course: Course) -> dict:
    """Every gate of the course and its live modules, read by progress on each page."""
    modules = db.session.scalars(
        sa.select(Module).where(Module.course_id == course.id, Module.archived_at.is_(None))
    )
    gated = {str(module.id): gate for module in modules if (gate := _gate(module)) is not None}
    course_gate = _gate(course)
    if course_gate is None and not gated:
        return {}
    return {"course": course_gate, "modules": gated}

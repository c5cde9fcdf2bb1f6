"""Look-ups of imported content by the stable keys used in URLs."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import contains_eager

from lms.content.models import ContentRename, Course, Lesson, Module
from lms.extensions import db

# Files a course folder may serve to the browser; anything else (the Markdown itself) is refused.
ASSET_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


# A course as lists show it: without its rendered introduction and its item order (a JSON list of
# every item, decoded per row), which only the course page and the lesson pager read.
COURSE_CARD = (sa.orm.defer(Course.html), sa.orm.defer(Course.item_order))


def live_courses() -> list[Course]:
    """Every live course in the school's order (position, then title): the one list of courses."""
    return list(
        db.session.scalars(
            sa.select(Course)
            .options(*COURSE_CARD)
            .where(Course.archived_at.is_(None))
            .order_by(Course.position, Course.title)
        )
    )


def live_course_or_404(course_key: str) -> Course:
    course = db.session.scalar(
        sa.select(Course).where(Course.key == course_key, Course.archived_at.is_(None))
    )
    if course is None:
        abort(404)
    return course


def live_lesson_or_404(course: Course, lesson_key: str) -> Lesson:
    lesson = db.session.scalar(
        sa.select(Lesson).where(
            Lesson.key == lesson_key, Lesson.course_id == course.id, Lesson.archived_at.is_(None)
        )
    )
    if lesson is None or lesson.module.archived_at is not None:
        abort(404)
    return lesson


# Built once: a lesson page is the most requested page there is.
_LESSON_PAGE = (
    sa.select(Lesson)
    .join(Course, Course.id == Lesson.course_id)
    .join(Module, Module.id == Lesson.module_id)
    .where(
        Course.key == sa.bindparam("course_key"),
        Course.archived_at.is_(None),
        Lesson.key == sa.bindparam("lesson_key"),
        Lesson.archived_at.is_(None),
        Module.archived_at.is_(None),
    )
    .options(contains_eager(Lesson.course), contains_eager(Lesson.module))
)


def live_lesson_page_or_404(course_key: str, lesson_key: str) -> Lesson:
    """A live lesson with its live course and module loaded alongside, in one query."""
    lesson = db.session.scalar(_LESSON_PAGE, {"course_key": course_key, "lesson_key": lesson_key})
    if lesson is None:
        abort(404)
    return lesson


def lesson_by_path(course: Course, path_in_course: str) -> Lesson | None:
    return db.session.scalar(
        sa.select(Lesson).where(
            Lesson.course_id == course.id,
            Lesson.path_in_course == path_in_course,
            Lesson.archived_at.is_(None),
        )
    )


def renamed_keys(values: list[str]) -> dict[str, str]:
    """Which of these ids are old ids of a renamed course, module or item, and the id each has now."""
    if not values:
        return {}
    query = sa.select(ContentRename.old_key, ContentRename.new_key).where(ContentRename.old_key.in_(values))
    return {old: new for old, new in db.session.execute(query)}

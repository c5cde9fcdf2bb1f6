"""A course's outline as a candidate sees it: live modules and items in order with their status,
the neighbours of an item, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.progress import gates
from lms.progress.models import Enrolment, LessonProgress


@dataclass
class LessonStatus:
    lesson: Lesson
    started: bool
    completed: bool


@dataclass
class ModuleOutline:
    module: Module
    lessons: list[LessonStatus]

    @property
    def done(self) -> int:
        return sum(1 for item in self.lessons if item.completed)


def live_outline_rows(course: Course) -> tuple[list[Module], list[Lesson]]:
    """A course's live modules and live items in order, with only the columns an outline shows:
    an item's rendered HTML and its payload (a quiz's questions) would be read and decoded for
    every row otherwise. The course page's cached outline and `course_outline` both read these."""
    modules = db.session.scalars(
        sa.select(Module)
        .options(sa.orm.load_only(Module.id, Module.course_id, Module.title, Module.summary, Module.position))
        .where(Module.course_id == course.id, Module.archived_at.is_(None))
        .order_by(Module.position)
    ).all()
    lessons = db.session.scalars(
        sa.select(Lesson)
        .options(
            sa.orm.load_only(
                Lesson.id,
                Lesson.module_id,
                Lesson.course_id,
                Lesson.kind,
                Lesson.key,
                Lesson.title,
                Lesson.minutes,
                Lesson.position,
            )
        )
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position)
    ).all()
    return list(modules), list(lessons)


def course_outline(user: User, course: Course) -> list[ModuleOutline]:
    """Live modules and lessons of a course, in order, with this user's status for each.

    Only the columns an outline shows are loaded: an item's rendered HTML and its payload (a
    quiz's questions) would be read and decoded for every row on every course page otherwise."""
    modules, lessons = live_outline_rows(course)
    completed = dict(
        db.session.execute(
            sa.select(LessonProgress.lesson_id, LessonProgress.completed_at.is_not(None))
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id == user.id, Lesson.course_id == course.id)
        ).all()
    )
    by_module: dict[int, list[LessonStatus]] = {module.id: [] for module in modules}
    for lesson in lessons:
        if lesson.module_id in by_module:
            by_module[lesson.module_id].append(
                LessonStatus(lesson, lesson.id in completed, bool(completed.get(lesson.id)))
            )
    return [ModuleOutline(module, by_module[module.id]) for module in modules]


@dataclass(frozen=True)
class OutlineItem:
    """A module item as links need it: item_url() reads its kind and key, pagers its title."""

    id: int
    key: str
    kind: str
    title: str


def neighbours(course: Course, lesson: Lesson) -> tuple[OutlineItem | None, OutlineItem | None]:
    """Previous and next live items across module boundaries, from the order kept at import."""
    order = course.item_order or []
    index = next((index for index, item in enumerate(order) if item["id"] == lesson.id), None)
    if index is None:
        return None, None
    previous_item = OutlineItem(**order[index - 1]) if index > 0 else None
    next_item = OutlineItem(**order[index + 1]) if index + 1 < len(order) else None
    return previous_item, next_item


def first_unfinished_lesson(
    user: User,
    course: Course,
    *,
    outline: list[ModuleOutline] | None = None,
    locks: gates.CourseLocks | None = None,
) -> Lesson | None:
    """The next thing to do: the first item not done in a module that is open to the user (a
    closed module's items are skipped, so "Continue" never leads to a "Not open yet" page).
    A page that has the outline and the locks already passes them."""
    locks = locks if locks is not None else gates.course_locks(user, course)
    if locks.course is not None:
        return None
    for module in outline if outline is not None else course_outline(user, course):
        if locks.modules.get(module.module.id) is not None:
            continue
        for item in module.lessons:
            if not item.completed:
                return item.lesson
    return None


def resume_lesson(user: User) -> Lesson | None:
    """The lesson the user last opened, on the course they touched most recently (only what a
    link to it needs is loaded, not its text)."""
    return db.session.scalar(
        sa.select(Lesson)
        .join(Enrolment, Enrolment.last_lesson_id == Lesson.id)
        .options(
            sa.orm.load_only(
                Lesson.id, Lesson.course_id, Lesson.module_id, Lesson.kind, Lesson.key, Lesson.title
            )
        )
        .where(Enrolment.user_id == user.id, Lesson.archived_at.is_(None))
        .order_by(Enrolment.last_activity_at.desc())
        .limit(1)
    )

"""Whether a candidate may open a course or module yet: release dates and prerequisites.

The importer keeps every gate of a course on the course row (`Course.gates`), so a course without
gates (most of them) costs nothing here, and one with gates costs at most three small queries:
modules done, courses completed, quiz scores. Staff are never locked out: they preview and review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import User
from lms.content.models import Course, Lesson, Module
from lms.content.registry import ITEM_KINDS
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress


@dataclass(frozen=True)
class Unmet:
    """One thing still to do before a gate opens."""

    kind: str  # "opens" (a date), "module" or "course" (to complete), "quiz" (to pass)
    key: str = ""
    title: str = ""
    course_key: str = ""  # the course the module or quiz belongs to, for its link
    min_score: int | None = None
    opens_on: date | None = None


@dataclass(frozen=True)
class Lock:
    """A closed course or module and everything that would open it."""

    scope: str  # "course" | "module"
    title: str
    unmet: tuple[Unmet, ...]


@dataclass
class CourseLocks:
    """A candidate's locks in one course: the course's own and each module's."""

    course: Lock | None = None
    modules: dict[int, Lock] = field(default_factory=dict)

    def for_module(self, module_id: int) -> Lock | None:
        """What keeps this module's items closed: the course's lock first, else the module's."""
        return self.course or self.modules.get(module_id)

    def for_item(self, lesson: Lesson) -> Lock | None:
        return self.for_module(lesson.module_id)

    @property
    def any(self) -> bool:
        return self.course is not None or bool(self.modules)


class ItemLocked(Exception):
    """A candidate asked for an item that is not open to them yet (answered 403 with the reasons)."""

    def __init__(self, course_key: str, lock: Lock) -> None:
        super().__init__(lock.title)
        self.course_key = course_key
        self.lock = lock


OPEN = CourseLocks()


def school_today() -> date:
    """Release dates are calendar days of the school (its time zone), the same for everyone."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Moscow"))
    return datetime.now(zone).date()


def course_locks(user: User, course: Course, today: date | None = None) -> CourseLocks:
    """The candidate's locks in this course; staff and courses without gates are open."""
    return locks_for(user, course.gates or {}, today)


def locks_for(user: User, gates: dict, today: date | None = None) -> CourseLocks:
    """The same from a course's `gates` as read with the page (the lesson page's one statement)."""
    if not gates or not user.is_authenticated or user.role != Role.CANDIDATE:
        return OPEN
    today = today or school_today()
    course_gate = gates.get("course")
    module_gates = gates.get("modules", {})
    requirements = [r for g in [course_gate, *module_gates.values()] if g for r in g.get("requires", [])]
    met = _met(user, requirements)
    locks = CourseLocks()
    if course_gate:
        locks.course = _lock("course", course_gate, met, today)
    for module_id, gate in module_gates.items():
        lock = _lock("module", gate, met, today)
        if lock is not None:
            locks.modules[int(module_id)] = lock
    return locks


def check_item_open(user: User, lesson: Lesson) -> None:
    """Raise ItemLocked when the candidate may not open this item yet (pages and their POSTs)."""
    lock = course_locks(user, lesson.course).for_item(lesson)
    if lock is not None:
        raise ItemLocked(lesson.course.key, lock)


def _lock(scope: str, gate: dict, met: dict[tuple, Unmet | None], today: date) -> Lock | None:
    unmet: list[Unmet] = []
    opens = date.fromisoformat(gate["opens"]) if gate.get("opens") else None
    if opens is not None and today < opens:
        unmet.append(Unmet("opens", opens_on=opens))
    for requirement in gate.get("requires", []):
        missing = met.get(_requirement_id(requirement))
        if missing is not None:
            unmet.append(missing)
    return Lock(scope, gate.get("title", ""), tuple(unmet)) if unmet else None


def _requirement_id(requirement: dict) -> tuple:
    return (requirement["kind"], requirement["key"], requirement.get("min_score"))


def _met(user: User, requirements: Iterable[dict]) -> dict[tuple, Unmet | None]:
    """Each requirement -> None when met, else what is missing (with its title for the page)."""
    by_kind: dict[str, set[str]] = {"module": set(), "course": set(), "quiz": set()}
    for requirement in requirements:
        by_kind[requirement["kind"]].add(requirement["key"])
    found: dict[tuple, Unmet | None] = {}
    if by_kind["module"]:
        for key, title, course_key, total, done in db.session.execute(
            sa.select(
                Module.key,
                Module.title,
                Course.key,
                sa.func.count(Lesson.id),
                sa.func.count(LessonProgress.completed_at),
            )
            .join(Course, Course.id == Module.course_id)
            .join(Lesson, (Lesson.module_id == Module.id) & Lesson.archived_at.is_(None))
            .outerjoin(
                LessonProgress, (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.user_id == user.id)
            )
            .where(Module.key.in_(by_kind["module"]))
            .group_by(Module.key, Module.title, Course.key)
        ):
            complete = total > 0 and done >= total
            found[("module", key, None)] = None if complete else Unmet("module", key, title, course_key)
    if by_kind["course"]:
        for key, title, completed_at in db.session.execute(
            sa.select(Course.key, Course.title, Enrolment.completed_at)
            .outerjoin(Enrolment, (Enrolment.course_id == Course.id) & (Enrolment.user_id == user.id))
            .where(Course.key.in_(by_kind["course"]))
        ):
            found[("course", key, None)] = None if completed_at else Unmet("course", key, title, key)
    if by_kind["quiz"]:
        quizzes = db.session.execute(
            sa.select(Lesson.id, Lesson.key, Lesson.title, Course.key, LessonProgress.completed_at)
            .join(Course, Course.id == Lesson.course_id)
            .outerjoin(
                LessonProgress, (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.user_id == user.id)
            )
            .where(Lesson.key.in_(by_kind["quiz"]))
        ).all()
        scorer = ITEM_KINDS["quiz"].best_percents if "quiz" in ITEM_KINDS else None
        best = scorer(user.id, [row[0] for row in quizzes]) if scorer else {}
        for requirement in requirements:
            if requirement["kind"] != "quiz":
                continue
            for quiz_id, key, title, course_key, completed_at in quizzes:
                if key != requirement["key"]:
                    continue
                minimum = requirement.get("min_score")
                passed = completed_at is not None if minimum is None else best.get(quiz_id, -1.0) >= minimum
                missing = Unmet("quiz", key, title, course_key, min_score=minimum)
                found[_requirement_id(requirement)] = None if passed else missing
    # A requirement whose target has left the tree since (archived) cannot hold anyone back forever.
    return found

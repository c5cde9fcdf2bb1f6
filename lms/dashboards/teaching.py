"""Instructors' read-only view of the candidates on the courses they teach.

Which courses: lms.content.staff.taught_course_ids (all of them for admins). Everything is read
from the enrolment rollups (status, lessons done, last activity, due date): no per-row queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.accounts.models import Region, User
from lms.content.models import Course
from lms.content.staff import live_courses_taught
from lms.dashboards.services import Cell
from lms.extensions import db
from lms.progress.models import Cohort, Enrolment, percent_done
from lms.progress.rollups import STATUSES

PAGE_SIZE = 50


@dataclass
class TeachingFilters:
    region: str = ""
    cohort: int | None = None
    status: str = ""

    @classmethod
    def from_args(cls, args: MultiDict) -> TeachingFilters:
        cohort = args.get("cohort", "")
        status = args.get("status", "")
        return cls(
            region=args.get("region", "")[:3],
            cohort=int(cohort) if cohort.isascii() and cohort.isdigit() and int(cohort) < 2**63 else None,
            status=status if status in STATUSES else "",
        )

    def as_args(self) -> dict[str, str]:
        values = {"region": self.region, "cohort": self.cohort, "status": self.status}
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def course_summaries(viewer: User) -> list[tuple[Course, Cell]]:
    """The live courses this viewer teaches, each with its candidates counted by status (one query)."""
    courses = live_courses_taught(viewer)
    cells = {course.id: Cell() for course in courses}
    if courses:
        for course_id, status, count, lessons in db.session.execute(
            sa.select(
                Enrolment.course_id, Enrolment.status, sa.func.count(), sa.func.sum(Enrolment.lessons_done)
            )
            .where(Enrolment.course_id.in_(list(cells)))
            .group_by(Enrolment.course_id, Enrolment.status)
        ):
            cell = cells[course_id]
            cell.total += count
            cell.lessons_done += lessons or 0
            if status in STATUSES:
                setattr(cell, status, getattr(cell, status) + count)
    return [(course, cells[course.id]) for course in courses]


def course_quizzes(course: Course) -> list[dict]:
    """The live quizzes of a course in course order ({"key", "title", ...}), from its item order."""
    return [item for item in course.item_order or [] if item.get("kind") == "quiz"]


@dataclass(slots=True)
class ProgressRow:
    full_name: str
    username: str
    region_code: str | None
    cohort: str | None
    percent: int
    status: str
    last_activity_at: datetime | None
    due_on: date | None

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


def _conditions(course: Course, filters: TeachingFilters) -> list:
    conditions = [Enrolment.course_id == course.id]
    if filters.region:
        conditions.append(Enrolment.region_code == filters.region)
    if filters.cohort is not None:
        conditions.append(Enrolment.cohort_id == filters.cohort)
    if filters.status:
        conditions.append(Enrolment.status == filters.status)
    return conditions


def course_progress(
    course: Course, filters: TeachingFilters, *, page: int = 1
) -> tuple[list[ProgressRow], int]:
    """One page of a course's candidates by name, and how many match the filters (two queries)."""
    conditions = _conditions(course, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(*conditions))
    results = db.session.execute(
        sa.select(
            User.full_name,
            User.username,
            Enrolment.region_code,
            Cohort.name,
            Enrolment.lessons_done,
            Enrolment.status,
            Enrolment.last_activity_at,
            Enrolment.due_on,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(*conditions)
        .order_by(User.full_name, User.username, Enrolment.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    rows = [
        ProgressRow(
            r.full_name,
            r.username,
            r.region_code,
            r.name,
            percent_done(r.lessons_done, course.lesson_count),
            r.status,
            r.last_activity_at,
            r.due_on,
        )
        for r in results
    ]
    return rows, total


def filter_choices(course: Course) -> dict:
    """The regions and cohorts that have candidates on this course, for the filter lists."""
    regions = sa.select(Enrolment.region_code).where(Enrolment.course_id == course.id).distinct()
    cohorts = sa.select(Enrolment.cohort_id).where(Enrolment.course_id == course.id).distinct()
    return {
        "regions": db.session.scalars(
            sa.select(Region).where(Region.code.in_(regions)).order_by(Region.code)
        ).all(),
        "cohorts": db.session.scalars(
            sa.select(Cohort).where(Cohort.id.in_(cohorts)).order_by(Cohort.name)
        ).all(),
    }

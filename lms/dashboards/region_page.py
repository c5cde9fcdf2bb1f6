"""What the region page's cached fragments are keyed by: exactly the values each one shows.

The page reads its figures every request (a few small, index-driven statements) and renders each
part only when those figures change: the cohort table, the completion chart and the list of
candidates are cached per worker keyed by their own values (lms.core.fragments), with the reader's
language and time zone beside them in the template. Nothing here is personal to the viewer; the
scope check runs in the view before any of it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from lms.accounts.models import Region, User
from lms.accounts.services import RegionName
from lms.content.models import Course
from lms.core.roles import Refused
from lms.dashboards.charts import WeekPoint
from lms.dashboards.services import (
    PAGE_SIZE,
    CandidateRow,
    Cell,
    RegionFilters,
    RegionSummary,
    region_listing,
)
from lms.extensions import db
from lms.progress.models import (
    Cohort,
    CohortCourse,
    CohortCourseStats,
    Enrolment,
    RegionCourseStats,
    RegionCourseWeek,
)
from lms.progress.rollups import STATUSES
from lms.progress.visibility import may_see_region, region_scope


class CourseName(NamedTuple):
    """A live course as the region page reads it: its list, filter, cohort table and chart."""

    id: int
    title: str
    lesson_count: int
    position: int


# content.services.live_courses (same rows, same order) as plain columns; the page needs no course
# object, and loading them decodes every course's JSON columns.
_LIVE_COURSES = (
    sa.select(Course.id, Course.title, Course.lesson_count, Course.position)
    .where(Course.archived_at.is_(None))
    .order_by(Course.position, Course.title)
)


# Built once: the region's names beside each live course (content.services.live_courses' rows and
# order), so the page reads both in one statement; no row at all when the region does not exist.
_REGION_AND_COURSES = (
    sa.select(Region.code, Region.name_ru, Region.name_en, *_LIVE_COURSES.selected_columns)
    .select_from(Region)
    .outerjoin(Course, Course.archived_at.is_(None))
    .where(Region.code == sa.bindparam("code"))
    .order_by(Course.position, Course.title)
)


def region_and_live_courses(code: str) -> tuple[RegionName, list[CourseName]] | None:
    """The region with this code and the live courses, or None when there is no such region."""
    rows = db.session.connection().execute(_REGION_AND_COURSES, {"code": code}).all()
    if not rows:
        return None
    courses = [CourseName(*row[3:]) for row in rows if row.id is not None]
    return RegionName(*rows[0][:3]), courses


class CohortName(NamedTuple):
    """A cohort as the region page shows it (the cohort table, the filter, the list's column)."""

    id: int
    name: str


_COUNTS = ("total", *STATUSES, "lessons_done")

# Built once: the region's cohorts with each course's due date and rollup, in one statement.
_REGION_COHORTS = (
    sa.select(
        Cohort.id,
        Cohort.name,
        CohortCourse.course_id,
        CohortCourse.due_on,
        *(getattr(CohortCourseStats, name) for name in _COUNTS),
    )
    .select_from(Cohort)
    .outerjoin(CohortCourse, CohortCourse.cohort_id == Cohort.id)
    .outerjoin(
        CohortCourseStats,
        sa.and_(
            CohortCourseStats.cohort_id == Cohort.id,
            CohortCourseStats.course_id == CohortCourse.course_id,
        ),
    )
    .where(Cohort.region_code == sa.bindparam("region"))
    .order_by(Cohort.starts_on, Cohort.name, Cohort.id, CohortCourse.id)
)


def region_cohorts(
    region_code: str, courses: list[Course]
) -> list[tuple[CohortName, list[tuple[Course, Cell, date | None]]]]:
    """services.region_cohorts in one statement, with the cohorts as plain (id, name)."""
    by_id = {course.id: course for course in courses}
    out: list[tuple[CohortName, list[tuple[Course, Cell, date | None]]]] = []
    for row in db.session.connection().execute(_REGION_COHORTS, {"region": region_code}):
        if not out or out[-1][0].id != row.id:
            out.append((CohortName(row.id, row.name), []))
        if row.course_id in by_id:
            cell = Cell() if row.total is None else Cell(*(getattr(row, name) for name in _COUNTS))
            out[-1][1].append((by_id[row.course_id], cell, row.due_on))
    return out


# Built once: the chart's figures from the rollups, for the region's live courses (or one), in one
# statement: a first row with no week holds the total and the latest due date, then one row per
# week with completions.
_TOTAL_AND_DUE = sa.select(
    sa.cast(sa.null(), sa.Date).label("week_start"),  # typed: the union's rows take this row's types
    sa.func.coalesce(sa.func.sum(RegionCourseStats.total), 0).label("count"),
    sa.func.max(
        sa.select(sa.func.max(Enrolment.due_on))
        .where(
            Enrolment.region_code == RegionCourseStats.region_code,
            Enrolment.course_id == RegionCourseStats.course_id,
        )
        .scalar_subquery()
    ).label("due"),
).where(
    RegionCourseStats.region_code == sa.bindparam("region"),
    RegionCourseStats.course_id.in_(sa.bindparam("courses", expanding=True)),
)
_WEEKS = (
    sa.select(
        RegionCourseWeek.week_start,
        sa.func.sum(RegionCourseWeek.completions).label("count"),
        sa.cast(sa.null(), sa.Date).label("due"),
    )
    .where(
        RegionCourseWeek.region_code == sa.bindparam("region"),
        RegionCourseWeek.course_id.in_(sa.bindparam("courses", expanding=True)),
    )
    .group_by(RegionCourseWeek.week_start)
    .having(sa.func.sum(RegionCourseWeek.completions) > 0)
)
_CHART_FIGURES = sa.union_all(_TOTAL_AND_DUE, _WEEKS)


def rollup_summary(
    viewer: User, region_code: str, filters: RegionFilters, courses: list[Course]
) -> RegionSummary | None:
    """services.region_summary read from the rollups, when the filters allow (none, or a course).

    None for filters the rollups do not break down by (cohort, status, inactivity): the caller
    groups the enrolments then.
    """
    if filters.cohort is not None or filters.status or filters.inactive_days is not None:
        return None
    if not may_see_region(viewer, region_code):
        raise Refused  # the view checks first; a region out of scope is never summed
    course_ids = [course.id for course in courses if filters.course in (None, course.id)]
    if not course_ids:
        return RegionSummary(0, None, [])
    total, due, counts = 0, None, {}
    for week, count, latest_due in db.session.connection().execute(
        _CHART_FIGURES, {"region": region_code, "courses": course_ids}
    ):
        if week is None:
            total, due = count, latest_due
        else:
            counts[week] = count
    weeks = []
    if counts:
        week, last = min(counts), max(counts)
        while week <= last:
            weeks.append(WeekPoint(week, counts.get(week, 0)))
            week += timedelta(days=7)
    return RegionSummary(total, due, weeks)


# The list's statement for its usual view (no filter) is the same request after request: built once
# per viewer scope, region and page rather than every time. It is services.region_listing itself,
# and visible_enrolments narrows it by the viewer's region scope alone, so viewers of one scope
# share it.
_UNFILTERED_LISTINGS: dict[tuple[str | None, str, int], sa.Select] = {}
MAX_UNFILTERED_LISTINGS = 4096


def listing_page(viewer: User, region_code: str, filters: RegionFilters, page: int) -> sa.Select:
    """One page of services.region_listing (PAGE_SIZE rows)."""
    limit, offset = PAGE_SIZE, (page - 1) * PAGE_SIZE
    if filters != RegionFilters():
        return region_listing(viewer, region_code, filters).limit(limit).offset(offset)
    key = (region_scope(viewer), region_code, page)
    statement = _UNFILTERED_LISTINGS.get(key)
    if statement is None:
        statement = region_listing(viewer, region_code, filters).limit(limit).offset(offset)
        if len(_UNFILTERED_LISTINGS) >= MAX_UNFILTERED_LISTINGS:
            _UNFILTERED_LISTINGS.pop(next(iter(_UNFILTERED_LISTINGS)), None)  # the oldest
        _UNFILTERED_LISTINGS[key] = statement
    return statement


def rows_key(rows: list[CandidateRow]) -> tuple:
    """Every value a row of the candidates' table shows."""
    return tuple(
        (
            row.user_id,
            row.display_name,
            row.cohort.name if row.cohort else None,
            row.course.title,
            row.percent,
            row.status,
            row.last_activity_at,
            row.due_on,
            row.best_quiz,
            row.quiz_attempts,
            tuple(row.exercises.items()),
        )
        for row in rows
    )


def _cell_values(cell: Cell) -> tuple[int, ...]:
    return (cell.total, cell.not_started, cell.on_track, cell.behind, cell.overdue, cell.completed)


def cohorts_key(
    region_code: str, cohort_stats: list[tuple[Cohort, list[tuple[Course, Cell, date | None]]]]
) -> tuple:
    """Every value the cohort table shows (its links carry the region, cohort and course ids)."""
    return (
        region_code,
        tuple(
            (
                cohort.id,
                cohort.name,
                tuple((course.id, course.title, due, _cell_values(cell)) for course, cell, due in items),
            )
            for cohort, items in cohort_stats
        ),
    )


def chart_key(title: str, summary: RegionSummary) -> tuple:
    """Every value the completion chart and its table show."""
    return (title, tuple(summary.weeks), summary.total, summary.due)

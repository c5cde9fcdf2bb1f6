"""Dashboard queries. They read the rollups (enrolments, region/cohort stats), scoped by viewer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from lms.accounts.models import Region, User
from lms.content.models import Course
from lms.content.services import live_courses
from lms.core.db import utc_day
from lms.core.join_order import leading_join
from lms.core.time import utcnow
from lms.dashboards.charts import WeekPoint
from lms.exercises import reports as exercise_reports
from lms.extensions import db
from lms.progress.models import Cohort, CohortCourseStats, Enrolment, RegionCourseStats
from lms.progress.rollups import STATUSES
from lms.progress.visibility import in_scope, visible_enrolments, visible_regions
from lms.quizzes import reports as quiz_reports

PAGE_SIZE = 50


@dataclass
class Cell:
    total: int = 0
    not_started: int = 0
    on_track: int = 0
    behind: int = 0
    overdue: int = 0
    completed: int = 0
    lessons_done: int = 0

    @property
    def percent(self) -> float | None:
        return None if not self.total else round(100 * self.completed / self.total, 1)

    def add(self, other: Cell) -> None:
        for name in ("total", *STATUSES, "lessons_done"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _cell(row) -> Cell:
    return Cell(**{name: getattr(row, name) for name in ("total", *STATUSES, "lessons_done")})


@dataclass
class OverviewRow:
    region: Region
    cells: dict[int, Cell]
    total: Cell


@dataclass
class Overview:
    courses: list[Course]
    rows: list[OverviewRow]
    totals: dict[int, Cell]


def national_overview(viewer: User, *, sort: str = "region", lang: str = "ru") -> Overview:
    """Regions × courses from the region rollup: one small query whatever the number of candidates.
    `lang`: the language whose region names the "name" order follows."""
    regions_query = visible_regions(viewer)
    stats_query = in_scope(sa.select(RegionCourseStats), RegionCourseStats.region_code, viewer)
    courses = live_courses()
    cells: dict[str, dict[int, Cell]] = defaultdict(dict)
    for row in db.session.scalars(stats_query):
        cells[row.region_code][row.course_id] = _cell(row)
    totals = {course.id: Cell() for course in courses}
    rows = []
    for region in db.session.scalars(regions_query):
        region_cells = {course.id: cells[region.code].get(course.id, Cell()) for course in courses}
        total = Cell()
        for course_id, cell in region_cells.items():
            total.add(cell)
            totals[course_id].add(cell)
        rows.append(OverviewRow(region, region_cells, total))
    if sort.startswith("course-") and sort[7:].isdecimal():
        course_id = int(sort[7:])
        rows.sort(key=lambda row: (row.cells.get(course_id, Cell()).percent or -1, row.region.code))
    elif sort == "behind":
        rows.sort(key=lambda row: (-(row.total.behind + row.total.overdue), row.region.code))
    elif sort == "name":
        rows.sort(key=lambda row: row.region.display_name(lang))
    return Overview(courses, rows, totals)


@dataclass
class RegionFilters:
    cohort: int | None = None
    course: int | None = None
    status: str = ""
    inactive_days: int | None = None

    @classmethod
    def from_args(cls, args: MultiDict) -> RegionFilters:
        def number(name: str, limit: int = 10**9) -> int | None:
            value = args.get(name, "")
            return int(value) if value.isdecimal() and int(value) < limit else None

        status = args.get("status", "")
        return cls(
            number("cohort"), number("course"), status if status in STATUSES else "", number("inactive", 3650)
        )

    def as_args(self) -> dict[str, str]:
        values = {
            "cohort": self.cohort,
            "course": self.course,
            "status": self.status,
            "inactive": self.inactive_days,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def region_enrolments(viewer: User, region_code: str, filters: RegionFilters) -> sa.Select:
    """The filtered enrolments behind the region page: its count, chart, list and exports.

    Unordered and without joins, so counting and the chart read the enrolments index alone.
    """
    query = visible_enrolments(viewer).where(
        Enrolment.region_code == region_code,
        Enrolment.course_id.in_(sa.select(Course.id).where(Course.archived_at.is_(None))),
    )
    if filters.cohort is not None:
        query = query.where(Enrolment.cohort_id == filters.cohort)
    if filters.course is not None:
        query = query.where(Enrolment.course_id == filters.course)
    if filters.status:
        query = query.where(Enrolment.status == filters.status)
    if filters.inactive_days is not None:
        cutoff = utcnow() - timedelta(days=filters.inactive_days)
        query = query.where(sa.or_(Enrolment.last_activity_at.is_(None), Enrolment.last_activity_at < cutoff))
    return query


LISTED_COLUMNS = (
    Enrolment.user_id,
    Enrolment.course_id,
    Enrolment.cohort_id,
    Enrolment.region_code,
    Enrolment.lessons_done,
    Enrolment.status,
    Enrolment.last_activity_at,
    Enrolment.due_on,
    User.full_name,
    User.username,
)


def region_listing(viewer: User, region_code: str, filters: RegionFilters) -> sa.Select:
    """The same enrolments in list order (name, course), with only the columns the list shows."""
    return (
        region_enrolments(viewer, region_code, filters)
        .with_only_columns(*LISTED_COLUMNS)
        # Enrolments carry their candidate's region (kept in step by change_region), so the
        # users' region condition changes no rows; it lets the database walk ix_users_region_name
        # in list order and stop after one page instead of sorting the whole region (on SQLite,
        # which plans without statistics, the leading join makes it start there).
        .select_from(leading_join(User.__table__, Enrolment.__table__, User.id == Enrolment.user_id))
        .where(User.region_code == region_code)
        .join(Course, Course.id == Enrolment.course_id)
        .order_by(User.full_name, User.username, Course.position, Enrolment.id)
    )


@dataclass(slots=True)
class CandidateRow:
    """One enrolment as the region list and its exports show it."""

    user_id: int
    full_name: str
    username: str
    region_code: str | None
    course: Course
    cohort: Cohort | None  # or anything with the cohort's id and name
    lessons_done: int
    status: str
    last_activity_at: datetime | None
    due_on: date | None
    best_quiz: float | None = None
    quiz_attempts: int = 0
    exercises: dict[str, int] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def percent(self) -> float:
        total = self.course.lesson_count
        return 0.0 if not total else round(100 * self.lessons_done / total, 1)


def candidate_rows(
    query: sa.Select,
    courses: list[Course],
    *,
    limit: int | None = None,
    offset: int = 0,
    known_cohorts: dict | None = None,
) -> list[CandidateRow]:
    """Rows of a region_listing() with quiz and exercise figures for exactly the candidates listed.

    `known_cohorts` (id -> cohort) spares the look-up of cohorts the caller has already read.
    """
    if limit is not None:
        query = query.limit(limit).offset(offset)
    # Plain columns through Core: the ORM adds nothing to them but time.
    results = db.session.connection().execute(query).all()
    if not results:
        return []
    by_id = {course.id: course for course in courses}
    cohorts = dict(known_cohorts or {})
    cohort_ids = {result.cohort_id for result in results} - {None} - cohorts.keys()
    if cohort_ids:
        cohorts.update(
            {c.id: c for c in db.session.scalars(sa.select(Cohort).where(Cohort.id.in_(cohort_ids)))}
        )
    rows = [
        CandidateRow(
            r.user_id,
            r.full_name,
            r.username,
            r.region_code,
            by_id[r.course_id],
            cohorts.get(r.cohort_id),
            r.lessons_done,
            r.status,
            r.last_activity_at,
            r.due_on,
        )
        for r in results
    ]
    user_ids = list({row.user_id for row in rows})
    quiz = quiz_reports.best_results(user_ids)
    exercises = exercise_reports.submission_counts(user_ids)
    for row in rows:
        key = (row.user_id, row.course.id)
        row.best_quiz, row.quiz_attempts = quiz.get(key, (None, 0))
        row.exercises = exercises.get(key, {})
    return rows


def region_cohorts(
    region_code: str, courses: list[Course]
) -> list[tuple[Cohort, list[tuple[Course, Cell, date | None]]]]:
    """The region's cohorts with each live course's rollup and due date."""
    cohorts = db.session.scalars(
        sa.select(Cohort)
        .where(Cohort.region_code == region_code)
        .options(selectinload(Cohort.courses))
        .order_by(Cohort.starts_on, Cohort.name)
    ).all()
    by_id = {course.id: course for course in courses}
    stats: dict[int, dict[int, Cell]] = defaultdict(dict)
    if cohorts:
        for row in db.session.scalars(
            sa.select(CohortCourseStats).where(CohortCourseStats.cohort_id.in_([c.id for c in cohorts]))
        ):
            stats[row.cohort_id][row.course_id] = _cell(row)
    return [
        (
            cohort,
            [
                (by_id[link.course_id], stats[cohort.id].get(link.course_id, Cell()), link.due_on)
                for link in cohort.courses
                if link.course_id in by_id
            ],
        )
        for cohort in cohorts
    ]


@dataclass
class RegionSummary:
    """What the chart and the row count need: one grouped query over the filtered enrolments."""

    total: int
    due: date | None
    weeks: list


def region_summary(query: sa.Select) -> RegionSummary:
    """Row count, latest due date and completions per ISO week of region_enrolments(), in one query."""
    day = utc_day(Enrolment.completed_at)
    grouped = query.with_only_columns(day, sa.func.count(), sa.func.max(Enrolment.due_on)).group_by(day)
    total, due = 0, None
    counts: dict[date, int] = defaultdict(int)
    for completed_on, count, latest_due in db.session.execute(grouped):
        total += count
        if latest_due is not None and (due is None or latest_due > due):
            due = latest_due
        if completed_on is not None:
            counts[completed_on - timedelta(days=completed_on.weekday())] += count
    weeks = []
    if counts:
        week, last = min(counts), max(counts)
        while week <= last:
            weeks.append(WeekPoint(week, counts.get(week, 0)))
            week += timedelta(days=7)
    return RegionSummary(total, due, weeks)

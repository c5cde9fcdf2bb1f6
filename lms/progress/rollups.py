"""Status of each enrolment and the region/cohort rollups dashboards read.

Counts move in the same transaction as the progress event that changes them. Statuses that change
only with the calendar (a due date passing) move when `refresh_statuses` runs: daily from cron
(`flask lms rollups`), and after content imports. `rebuild_stats` recomputes everything from the
enrolments and is what the tests compare the incremental counts against.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lms.core.db import utc_day
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import module_rollup
from lms.progress.models import CohortCourseStats, Enrolment, RegionCourseStats, RegionCourseWeek

STATUSES = ("not_started", "on_track", "behind", "overdue", "completed")
# Behind: more than this share of the course below where an even pace to the due date would be.
PACE_TOLERANCE = 0.15
MOSCOW_OFFSET_HOURS = 3  # the school's calendar day: due dates are Moscow dates


def school_today(now: datetime | None = None) -> date:
    return ((now or utcnow()) + timedelta(hours=MOSCOW_OFFSET_HOURS)).date()


def classify(
    *,
    lessons_done: int,
    lesson_count: int,
    completed: bool,
    started: bool,
    enrolled_on: date,
    due_on: date | None,
    today: date,
) -> str:
    """One enrolment's status on a given day; pure, so it is tested exhaustively."""
    if completed:
        return "completed"
    if due_on is not None and today > due_on:
        return "overdue"
    if not started and lessons_done == 0:
        return "not_started"
    if due_on is not None and lesson_count > 0:
        span = (due_on - enrolled_on).days
        expected = 1.0 if span <= 0 else min(1.0, max(0.0, (today - enrolled_on).days / span))
        if lessons_done / lesson_count + PACE_TOLERANCE < expected:
            return "behind"
    return "on_track"


def status_of(enrolment: Enrolment, today: date | None = None) -> str:
    return classify(
        lessons_done=enrolment.lessons_done,
        lesson_count=enrolment.course.lesson_count,
        completed=enrolment.completed_at is not None,
        started=enrolment.last_activity_at is not None,
        enrolled_on=school_today(enrolment.enrolled_at),
        due_on=enrolment.due_on,
        today=today or school_today(),
    )


def _bump(enrolment: Enrolment, changes: dict[str, int]) -> None:
    changes = {column: delta for column, delta in changes.items() if delta}
    if not changes:
        return
    targets = []
    if enrolment.region_code:
        targets.append(
            (RegionCourseStats, {"region_code": enrolment.region_code, "course_id": enrolment.course_id})
        )
    if enrolment.cohort_id:
        targets.append(
            (CohortCourseStats, {"cohort_id": enrolment.cohort_id, "course_id": enrolment.course_id})
        )
    db.session.flush()  # rows the rollup row refers to (a new cohort) are written first
    connection = db.session.connection()
    deltas = {f"{column}_delta": delta for column, delta in changes.items()}
    for model, key in targets:
        keys = {f"{name}_key": value for name, value in key.items()}
        connection.execute(_upsert(connection.dialect.name, model, tuple(sorted(changes))), keys | deltas)


@functools.cache
def _upsert(dialect: str, model: type, columns: tuple[str, ...]) -> sa.Insert:
    """Add to a rollup row's `columns`, creating the row with those counts if it is missing: one
    statement, built once per dialect, table and set of columns."""
    table = model.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = [column.name for column in table.primary_key]
    statement = insert(table).values(
        {name: sa.bindparam(f"{name}_key") for name in key}
        | {column: sa.bindparam(f"{column}_delta") for column in columns}
    )
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column: table.c[column] + statement.excluded[column] for column in columns},
    )


def week_of(completed_at: datetime) -> date:
    """The Monday of a completion's UTC day: the region page's chart counts completions per week."""
    day = (completed_at if completed_at.tzinfo else completed_at.replace(tzinfo=UTC)).astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _bump_week(region_code: str | None, course_id: int, completed_at: datetime | None, delta: int) -> None:
    if not region_code or completed_at is None or not delta:
        return
    keys = {
        "region_code_key": region_code,
        "course_id_key": course_id,
        "week_start_key": week_of(completed_at),
    }
    connection = db.session.connection()
    connection.execute(
        _upsert(connection.dialect.name, RegionCourseWeek, ("completions",)),
        keys | {"completions_delta": delta},
    )


def completion_changed(enrolment: Enrolment, before: datetime | None) -> None:
    """An enrolment's completed_at moved from `before` to its current value: move it between weeks."""
    if before == enrolment.completed_at:
        return
    _bump_week(enrolment.region_code, enrolment.course_id, before, -1)
    _bump_week(enrolment.region_code, enrolment.course_id, enrolment.completed_at, 1)


def count_new(enrolment: Enrolment) -> None:
    """A new enrolment joins the rollups."""
    enrolment.status = status_of(enrolment)
    _bump(enrolment, {"total": 1, enrolment.status: 1, "lessons_done": enrolment.lessons_done})


def recount(enrolment: Enrolment, *, lessons_delta: int = 0, today: date | None = None) -> None:
    """After a progress event: move the enrolment between status buckets and adjust the sums."""
    old, new = enrolment.status, status_of(enrolment, today)
    changes = {"lessons_done": lessons_delta}
    if old != new:
        changes[old] = changes.get(old, 0) - 1
        changes[new] = changes.get(new, 0) + 1
        enrolment.status = new
    _bump(enrolment, changes)


def move(enrolment: Enrolment, *, cohort_id: int | None = None, region_code: str | None = None) -> None:
    """Change an enrolment's cohort or region, carrying its counts from the old rollup rows to the new."""
    counted = {"total": 1, enrolment.status: 1, "lessons_done": enrolment.lessons_done}
    _bump(enrolment, {key: -value for key, value in counted.items()})
    if region_code != enrolment.region_code:
        _bump_week(enrolment.region_code, enrolment.course_id, enrolment.completed_at, -1)
        _bump_week(region_code, enrolment.course_id, enrolment.completed_at, 1)
    enrolment.cohort_id = cohort_id
    enrolment.region_code = region_code
    _bump(enrolment, counted)


def refresh_statuses(today: date | None = None, *, course_id: int | None = None) -> int:
    """Re-evaluate statuses that the calendar may have changed; returns how many moved."""
    today = today or school_today()
    query = sa.select(Enrolment).where(Enrolment.status != "completed")
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    moved = 0
    for enrolment in db.session.scalars(query.execution_options(yield_per=2000)):
        if status_of(enrolment, today) != enrolment.status:
            recount(enrolment, today=today)
            moved += 1
    db.session.flush()
    return moved


def rebuild_weeks() -> None:
    """Recompute the completions per region, course and week from the enrolments."""
    db.session.execute(sa.delete(RegionCourseWeek))
    day = utc_day(Enrolment.completed_at)
    weeks: dict[tuple[str, int, date], int] = {}
    for region_code, course_id, completed_on, count in db.session.execute(
        sa.select(Enrolment.region_code, Enrolment.course_id, day, sa.func.count())
        .where(Enrolment.region_code.is_not(None), Enrolment.completed_at.is_not(None))
        .group_by(Enrolment.region_code, Enrolment.course_id, day)
    ):
        key = (region_code, course_id, completed_on - timedelta(days=completed_on.weekday()))
        weeks[key] = weeks.get(key, 0) + count
    if weeks:
        db.session.execute(
            sa.insert(RegionCourseWeek),
            [
                {"region_code": region, "course_id": course, "week_start": week, "completions": count}
                for (region, course, week), count in weeks.items()
            ],
        )


def rebuild_stats() -> None:
    """Recompute the rollup tables from the enrolments (statuses as stored), and the candidates'
    module counts from their progress rows (lms.progress.module_rollup)."""
    rebuild_weeks()
    db.session.execute(sa.delete(RegionCourseStats))
    db.session.execute(sa.delete(CohortCourseStats))
    for model, group in (
        (RegionCourseStats, Enrolment.region_code),
        (CohortCourseStats, Enrolment.cohort_id),
    ):
        key = "region_code" if model is RegionCourseStats else "cohort_id"
        columns = [
            group.label(key),
            Enrolment.course_id.label("course_id"),
            sa.func.count().label("total"),
            *(
                sa.func.sum(sa.case((Enrolment.status == status, 1), else_=0)).label(status)
                for status in STATUSES
            ),
            sa.func.sum(Enrolment.lessons_done).label("lessons_done"),
        ]
        select = sa.select(*columns).where(group.is_not(None)).group_by(group, Enrolment.course_id)
        db.session.execute(
            sa.insert(model).from_select([key, "course_id", "total", *STATUSES, "lessons_done"], select)
        )
    module_rollup.rebuild()
    db.session.flush()


def stats_snapshot() -> dict:
    """Both rollup tables as plain data, for comparisons in tests and checks."""

    def rows(model, key):
        return {
            (getattr(row, key), row.course_id): tuple(
                getattr(row, column) for column in ("total", *STATUSES, "lessons_done")
            )
            for row in db.session.scalars(sa.select(model))
            if row.total
        }

    weeks = {
        (row.region_code, row.course_id, row.week_start): row.completions
        for row in db.session.scalars(sa.select(RegionCourseWeek))
        if row.completions
    }
    return {
        "region": rows(RegionCourseStats, "region_code"),
        "cohort": rows(CohortCourseStats, "cohort_id"),
        "weeks": weeks,
    }

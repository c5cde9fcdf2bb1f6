"""Status of each enrolment and the region/cohort rollups dashboards read.

Counts move in the same transaction as the progress event that changes them. Statuses that change
only with the calendar (a due date passing) move when `refresh_statuses` runs: daily from cron
(`flask lms rollups`), and after content imports. `rebuild_stats` recomputes everything from the
enrolments and is what the tests compare the incremental counts against.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lms.core.db import insert_or_ignore
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import module_rollup
from lms.progress.models import CohortCourseStats, Enrolment, RegionCourseStats

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
    for model, key in targets:
        insert_or_ignore(model, dict(key), list(key))
        db.session.execute(
            sa.update(model)
            .where(*(getattr(model, name) == value for name, value in key.items()))
            .values({column: getattr(model, column) + delta for column, delta in changes.items()})
            .execution_options(synchronize_session=False)
        )


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


def rebuild_stats() -> None:
    """Recompute both rollup tables from the enrolments (statuses as stored), and the candidates'
    module counts from their progress rows (lms.progress.module_rollup)."""
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

    return {"region": rows(RegionCourseStats, "region_code"), "cohort": rows(CohortCourseStats, "cohort_id")}

"""At-risk lists and the course heatmap, both scoped by the viewer and bounded per page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course, Lesson, Module
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.progress.visibility import visible_enrolments

AT_RISK_LIMIT = 50  # rows per list on the page; one list alone pages through all of its rows
NOT_STARTED_GRACE = timedelta(days=7)


@dataclass
class RiskList:
    key: str
    rows: list[tuple[Enrolment, User, Course]]
    total: int


RISK_KEYS = ("inactive", "failed_quiz", "overdue", "not_started")


# Who needs a call first: the longest idle, the most overdue, the longest waiting to start. Sort
# keys are the enrolment's own columns, so the database picks a page before joining anything.
RISK_ORDER = {
    "inactive": (Enrolment.last_activity_at, Enrolment.id),
    "failed_quiz": (Enrolment.last_activity_at.nulls_first(), Enrolment.id),
    "overdue": (Enrolment.due_on, Enrolment.last_activity_at.nulls_first(), Enrolment.id),
    "not_started": (Enrolment.enrolled_at, Enrolment.id),
}


def risk_queries(
    viewer: User, *, region_code: str | None = None, inactive_days: int = 7
) -> dict[str, sa.Select]:
    """The enrolments behind each at-risk list, in list order (join users with with_candidates).

    Struggling (inactive, failing quizzes, overdue) and the never-started are kept apart. The page
    shows the first rows of each; its exports read the same queries in full.
    """
    now = utcnow()
    base = (
        visible_enrolments(viewer)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Course.archived_at.is_(None), Enrolment.completed_at.is_(None))
    )
    if region_code:
        base = base.where(Enrolment.region_code == region_code)
    lists = {
        "inactive": base.where(
            Enrolment.last_activity_at.is_not(None),
            Enrolment.last_activity_at < now - timedelta(days=inactive_days),
        ),
        "failed_quiz": base.where(Enrolment.stuck_on_quiz.is_(True)),
        "overdue": base.where(Enrolment.status == "overdue"),
        "not_started": base.where(
            Enrolment.last_activity_at.is_(None), Enrolment.enrolled_at < now - NOT_STARTED_GRACE
        ),
    }
    return {key: lists[key].order_by(*RISK_ORDER[key]) for key in RISK_KEYS}


def with_candidates(query: sa.Select) -> sa.Select:
    """A risk query joined to the candidates' accounts, for their names."""
    return query.join(User, User.id == Enrolment.user_id)


def at_risk(
    viewer: User,
    *,
    region_code: str | None = None,
    inactive_days: int = 7,
    only: str | None = None,
    page: int = 1,
) -> list[RiskList]:
    """The at-risk lists with their totals: the first AT_RISK_LIMIT rows of each, or one list's page."""
    out = []
    queries = risk_queries(viewer, region_code=region_code, inactive_days=inactive_days)
    for key, query in queries.items():
        if only and key != only:
            continue
        total = db.session.scalar(query.order_by(None).with_only_columns(sa.func.count()))
        offset = (page - 1) * AT_RISK_LIMIT if only else 0
        rows = db.session.execute(
            with_candidates(query).add_columns(User, Course).limit(AT_RISK_LIMIT).offset(offset)
        ).all()
        out.append(RiskList(key, [tuple(row) for row in rows], total))
    return out


@dataclass
class HeatRow:
    user: User
    enrolment: Enrolment
    cells: dict[int, tuple[int, int, bool]] = field(
        default_factory=dict
    )  # column id -> (done, total, started)


@dataclass
class Heatmap:
    course: Course
    columns: list  # modules, or the lessons of one module
    rows: list[HeatRow]
    total: int
    module: Module | None


def heatmap(
    viewer: User,
    course: Course,
    *,
    region_code: str | None,
    cohort_id: int | None,
    module_key: str | None,
    page: int,
    page_size: int = 50,
) -> Heatmap:
    """Candidates × modules (or × lessons of one module), for one page of candidates."""
    modules = db.session.scalars(
        sa.select(Module)
        .where(Module.course_id == course.id, Module.archived_at.is_(None))
        .order_by(Module.position)
    ).all()
    lessons = db.session.scalars(
        sa.select(Lesson)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position)
    ).all()
    module = next((m for m in modules if m.key == module_key), None) if module_key else None
    query = (
        visible_enrolments(viewer)
        .where(Enrolment.course_id == course.id)
        .join(User, User.id == Enrolment.user_id)
    )
    if region_code:
        query = query.where(Enrolment.region_code == region_code)
    if cohort_id is not None:
        query = query.where(Enrolment.cohort_id == cohort_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    results = db.session.execute(
        query.add_columns(User)
        .order_by(User.full_name, User.username)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    rows = [HeatRow(user, enrolment) for enrolment, user in results]
    user_ids = [row.user.id for row in rows]
    status: dict[tuple[int, int], bool] = {}
    if user_ids:
        for user_id, lesson_id, completed_at in db.session.execute(
            sa.select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.completed_at)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id.in_(user_ids), Lesson.course_id == course.id)
        ):
            status[(user_id, lesson_id)] = completed_at is not None
    if module is not None:
        columns = [lesson for lesson in lessons if lesson.module_id == module.id]
        for row in rows:
            for lesson in columns:
                state = status.get((row.user.id, lesson.id))
                row.cells[lesson.id] = (1 if state else 0, 1, state is not None)
    else:
        columns = list(modules)
        by_module = defaultdict(list)
        for lesson in lessons:
            by_module[lesson.module_id].append(lesson)
        for row in rows:
            for mod in columns:
                states = [status.get((row.user.id, lesson.id)) for lesson in by_module[mod.id]]
                row.cells[mod.id] = (
                    sum(1 for s in states if s),
                    len(states),
                    any(s is not None for s in states),
                )
    return Heatmap(course, columns, rows, total, module)

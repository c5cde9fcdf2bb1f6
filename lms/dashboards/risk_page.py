"""The at-risk page's lists as plain rows: each list's page read from its own index, with totals.

insights.risk_queries stays the one definition of who is at risk (the exports and the weekly
digest read it in full); this module reads the same lists the cheap way for the page, and
tests/dashboards/test_region_speed.py holds it to risk_queries.

For one region (a regional coordinator's, or the one a national coordinator picked) the page runs
one statement built at import: the four totals in one pass over ix_enrolments_region_open, beside
the four pages of rows. Each long list has a partial index of its own in its own order
(ix_enrolments_region_idle, _waiting, _overdue), so its page is the first rows of that index, not a
sort of all of the region's open enrolments; the page's rows are then joined once to their
candidates and courses. The rows are plain tuples, so the template caches each list keyed by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course
from lms.core.roles import Refused
from lms.core.time import utcnow
from lms.dashboards import insights
from lms.dashboards.insights import NOT_STARTED_GRACE, RISK_KEYS, RISK_ORDER, risk_queries
from lms.extensions import db
from lms.progress.models import Enrolment
from lms.progress.visibility import region_scope


class RiskRow(NamedTuple):
    """One enrolment of a list as the page shows it, with its course's title and lesson count.

    A plain tuple: a list's rows are its fragment's cache key, compared on every request.
    """

    id: int
    user_id: int
    full_name: str
    username: str
    region_code: str | None
    course_id: int
    title: str
    lesson_count: int
    lessons_done: int
    last_activity_at: datetime | None
    due_on: date | None


@dataclass
class RiskPage:
    """One list: its page of rows and its total."""

    key: str
    rows: tuple[RiskRow, ...]
    total: int


@dataclass
class RiskLists:
    lists: list[RiskPage]


ROW_COLUMNS = (
    Enrolment.id,
    Enrolment.user_id,
    User.full_name,
    User.username,
    Enrolment.region_code,
    Enrolment.course_id,
    Course.title,
    Course.lesson_count,
    Enrolment.lessons_done,
    Enrolment.last_activity_at,
    Enrolment.due_on,
)


def risk_page(
    viewer: User,
    *,
    region_code: str | None = None,
    inactive_days: int = 7,
    only: str | None = None,
    page: int = 1,
) -> RiskLists:
    """The lists of insights.at_risk (same rows, order and totals) as plain rows."""
    if region_code is not None:
        return _region_risk_page(viewer, region_code, inactive_days=inactive_days, only=only, page=page)
    out = []
    queries = risk_queries(viewer, region_code=region_code, inactive_days=inactive_days)
    limit = insights.AT_RISK_LIMIT
    offset = (page - 1) * limit if only else 0
    connection = db.session.connection()
    for key, query in queries.items():
        if only and key != only:
            continue
        total = db.session.scalar(query.order_by(None).with_only_columns(sa.func.count()))
        rows: tuple = ()
        if total > offset:
            ids = query.with_only_columns(Enrolment.id).limit(limit).offset(offset).scalar_subquery()
            rows = tuple(
                RiskRow._make(row)
                for row in connection.execute(
                    sa.select(*ROW_COLUMNS)
                    .join(User, User.id == Enrolment.user_id)
                    .join(Course, Course.id == Enrolment.course_id)
                    .where(Enrolment.id.in_(ids))
                    .order_by(*RISK_ORDER[key])
                )
            )
        out.append(RiskPage(key, rows, total))
    return RiskLists(out)


# --- one region: one statement, built once -------------------------------------------------------

# The conditions of insights.risk_queries with the clock and the region as parameters.
_CONDITIONS = {
    "inactive": sa.and_(
        Enrolment.last_activity_at.is_not(None), Enrolment.last_activity_at < sa.bindparam("inactive_before")
    ),
    "failed_quiz": Enrolment.stuck_on_quiz.is_(True),
    "overdue": Enrolment.status == "overdue",
    "not_started": sa.and_(
        Enrolment.last_activity_at.is_(None), Enrolment.enrolled_at < sa.bindparam("waiting_before")
    ),
}
# A live course's enrolment: its course is not among the archived ones (every enrolment has a
# course, by its foreign key, so this is the risk_queries' join to live courses). PostgreSQL checks
# it against a list built once per statement, where `IN (live courses)` becomes a join to plan
# and run in each of the five parts.
_LIVE_COURSE = Enrolment.course_id.not_in(sa.select(Course.id).where(Course.archived_at.is_not(None)))
_OPEN = (Enrolment.region_code == sa.bindparam("region"), _LIVE_COURSE, Enrolment.completed_at.is_(None))
# The four totals in one pass over ix_enrolments_region_open.
_TOTALS = (
    sa.select(*(sa.func.count(sa.case((_CONDITIONS[key], 1))).label(f"{key}_total") for key in RISK_KEYS))
    .where(*_OPEN)
    .subquery("totals")
)
_PAGE_COLUMNS = (
    Enrolment.id,
    Enrolment.user_id,
    Enrolment.region_code,
    Enrolment.course_id,
    Enrolment.lessons_done,
    Enrolment.last_activity_at,
    Enrolment.due_on,
    Enrolment.enrolled_at,
)


def _list_page(key: str) -> sa.Select:
    """One list's page of enrolments in its order: the first rows of its own index
    (ix_enrolments_region_idle, _waiting, _overdue; the few stuck on a quiz from _open)."""
    page = (
        sa.select(sa.literal(key).label("list"), *_PAGE_COLUMNS)
        .where(*_OPEN, _CONDITIONS[key])
        .order_by(*RISK_ORDER[key])
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        .subquery(key)
    )
    return sa.select(page)


def _statement(keys: tuple[str, ...]) -> sa.Select:
    """The lists' pages joined once to their candidates and courses, with the four totals beside
    every row (alone in one row when no list has rows on this page)."""
    pages = (sa.union_all(*map(_list_page, keys)) if len(keys) > 1 else _list_page(keys[0])).subquery("pages")
    rows = (
        sa.select(
            pages.c.list,
            pages.c.id,
            pages.c.user_id,
            User.full_name,
            User.username,
            pages.c.region_code,
            pages.c.course_id,
            Course.title,
            Course.lesson_count,
            pages.c.lessons_done,
            pages.c.last_activity_at,
            pages.c.due_on,
            pages.c.enrolled_at,
        )
        .join(User, User.id == pages.c.user_id)
        .join(Course, Course.id == pages.c.course_id)
        .subquery("rows")
    )
    return sa.select(_TOTALS, rows).select_from(_TOTALS.outerjoin(rows, sa.true()))


_STATEMENTS = {None: _statement(RISK_KEYS), **{key: _statement((key,)) for key in RISK_KEYS}}
_FIRST_ROW_COLUMN = len(RISK_KEYS) + 1  # after the totals and the list's key
_ROW_SLICE = slice(_FIRST_ROW_COLUMN, _FIRST_ROW_COLUMN + len(RiskRow._fields))


def _nulls_first(value) -> tuple:
    return (0,) if value is None else (1, value)


def _sort_key(key: str):
    """RISK_ORDER in Python, for the rows of one list (SQL's order is lost in the UNION)."""
    if key == "inactive":
        return lambda r: (r.last_activity_at, r.id)
    if key == "failed_quiz":
        return lambda r: (_nulls_first(r.last_activity_at), r.id)
    if key == "overdue":
        return lambda r: (r.due_on, _nulls_first(r.last_activity_at), r.id)
    return lambda r: (r.enrolled_at, r.id)


def _region_risk_page(
    viewer: User, region_code: str, *, inactive_days: int, only: str | None, page: int
) -> RiskLists:
    scope = region_scope(viewer)
    if scope is not None and scope != region_code:
        raise Refused  # the view asked for a region outside the viewer's scope: never listed
    now = utcnow()
    params = {
        "region": region_code,
        "inactive_before": now - timedelta(days=inactive_days),
        "waiting_before": now - NOT_STARTED_GRACE,
        "limit": insights.AT_RISK_LIMIT,
        "offset": (page - 1) * insights.AT_RISK_LIMIT if only else 0,
    }
    # Core rows, not the ORM's: these are plain columns, and the page reads hundreds of them.
    result = db.session.connection().execute(_STATEMENTS[only], params).all()
    totals = dict(zip(RISK_KEYS, result[0], strict=False))
    keys = (only,) if only else RISK_KEYS
    rows: dict[str, list] = {key: [] for key in keys}
    for r in result:
        if r.list is not None:
            rows[r.list].append(r)
    return RiskLists(
        [
            RiskPage(
                key,
                tuple(RiskRow._make(r[_ROW_SLICE]) for r in sorted(rows[key], key=_sort_key(key))),
                totals[key],
            )
            for key in keys
        ]
    )

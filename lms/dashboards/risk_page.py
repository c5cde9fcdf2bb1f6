"""The at-risk page's lists as plain rows: counted from an index, one page of ids, then 50 rows.

insights.risk_queries stays the one definition of who is at risk (the exports and the weekly
digest read it in full); this module reads the same lists the cheap way for the page. Each list's
page of enrolment ids is chosen from the enrolments' own columns (ix_enrolments_region_open covers
them for a region), and only those rows are joined to their candidate; the few live courses are
read once. The rows are the database's plain rows, so the template caches each list keyed by them.

For one region (a regional coordinator's, or the one a national coordinator picked) the page runs
statements built once at import: the four totals in one pass over the index, the four pages of
rows in one UNION ALL, and the live courses. tests/dashboards/test_region_speed.py holds them to
risk_queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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


@dataclass
class RiskPage:
    """One list: its page of rows and its total.

    Each row is the database's own row (hashable, so a list's rows are its cache key) with the
    enrolment's id, user_id, full_name, username, region_code, course_id, lessons_done,
    last_activity_at and due_on; the course's title and lesson count come from `RiskLists.courses`.
    """

    key: str
    rows: tuple
    total: int


@dataclass
class RiskLists:
    lists: list[RiskPage]
    courses: dict  # live course id -> row with title and lesson_count

    @property
    def courses_key(self) -> tuple:
        """What the lists show of the courses: part of each list's cache key."""
        return tuple(sorted((c.id, c.title, c.lesson_count) for c in self.courses.values()))


ROW_COLUMNS = (
    Enrolment.id,
    Enrolment.user_id,
    User.full_name,
    User.username,
    Enrolment.region_code,
    Enrolment.course_id,
    Enrolment.lessons_done,
    Enrolment.last_activity_at,
    Enrolment.due_on,
)
# A course row is wide (its introduction): the rows name their course by id, and the page reads
# the few live courses' titles once.
_COURSES = sa.select(Course.id, Course.title, Course.lesson_count).where(Course.archived_at.is_(None))


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
                connection.execute(
                    sa.select(*ROW_COLUMNS)
                    .join(User, User.id == Enrolment.user_id)
                    .where(Enrolment.id.in_(ids))
                    .order_by(*RISK_ORDER[key])
                ).all()
            )
        out.append(RiskPage(key, rows, total))
    courses = (
        {course.id: course for course in connection.execute(_COURSES)} if any(r.rows for r in out) else {}
    )
    return RiskLists(out, courses)


# --- one region: statements built once ----------------------------------------------------------

# The conditions of insights.risk_queries with the clock and the region as parameters.
# Live courses as a list the database builds once per statement rather than a join per row:
# a course row is wide (its introduction), and the region has thousands of open enrolments.
_OPEN = (
    Enrolment.region_code == sa.bindparam("region"),
    Enrolment.course_id.in_(sa.select(Course.id).where(Course.archived_at.is_(None))),
    Enrolment.completed_at.is_(None),
)
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
_TOTALS = (
    sa.select(*(sa.func.count(sa.case((_CONDITIONS[key], 1))) for key in RISK_KEYS))
    .select_from(Enrolment)
    .where(*_OPEN)
)


def _list_rows(key: str) -> sa.Select:
    """One list's page: its enrolment ids chosen from the index first, then only those rows read."""
    page = (
        sa.select(Enrolment.id)
        .where(*_OPEN, _CONDITIONS[key])
        .order_by(*RISK_ORDER[key])
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        .correlate(None)  # its own scan of the enrolments, not the outer row's
    )
    return (
        sa.select(sa.literal(key).label("list"), *ROW_COLUMNS, Enrolment.enrolled_at)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.id.in_(page.scalar_subquery()))
    )


def _rows_statement(keys: tuple[str, ...]) -> sa.Select:
    return sa.union_all(*(_list_rows(key) for key in keys)) if len(keys) > 1 else _list_rows(keys[0])


_ROWS = {None: _rows_statement(RISK_KEYS), **{key: _rows_statement((key,)) for key in RISK_KEYS}}


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
    connection = db.session.connection()
    totals = dict(zip(RISK_KEYS, connection.execute(_TOTALS, params).one(), strict=True))
    keys = (only,) if only else RISK_KEYS
    rows: dict[str, list] = {key: [] for key in keys}
    courses = {}
    if any(totals[key] > params["offset"] for key in keys):
        for r in connection.execute(_ROWS[only], params).all():
            rows[r.list].append(r)
        courses = {course.id: course for course in connection.execute(_COURSES)}
    return RiskLists(
        [RiskPage(key, tuple(sorted(rows[key], key=_sort_key(key))), totals[key]) for key in keys], courses
    )

"""At-risk lists, scoped by the viewer and bounded per page (the course heatmap: lms.dashboards.heatmap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import Enrolment
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

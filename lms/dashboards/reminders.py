"""The daily job behind `flask lms remind`: due-date notifications, the candidates' digests and
the coordinators' weekly summaries.

It lives here, above progress, because it reads enrolments and the dashboards' rollups; the
notifications package it writes through stays low (feature domains call down into it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import Region, User
from lms.content.models import Course
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.dashboards.insights import risk_queries, with_candidates
from lms.dashboards.services import Cell, national_overview
from lms.extensions import db
from lms.mail.services import enqueue
from lms.notifications.services import (
    DigestReport,
    claim_day,
    notify_due,
    path_for,
    public_link,
    send_digests,
    wants_mail,
)
from lms.progress.models import Enrolment
from lms.progress.visibility import region_scope

OVERDUE_WINDOW = timedelta(days=7)  # an overdue warning still goes if the job missed a few days
NEW_RISK_WINDOW = timedelta(days=7)  # "new" at-risk candidates: crossed a threshold this week
WEEKLY_NAMES = 30  # candidates named in a weekly summary; the rest are counted


@dataclass
class RemindReport:
    due_notifications: int = 0
    digests: DigestReport = field(default_factory=DigestReport)
    weekly: int = 0


def notify_due_dates(today: date, days: int) -> int:
    """Notify candidates of courses due within `days` days, or recently overdue (each once)."""
    rows = db.session.execute(
        sa.select(Enrolment, User, Course)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Course.archived_at.is_(None),
            Enrolment.completed_at.is_(None),
            Enrolment.due_on.is_not(None),
            Enrolment.due_on >= today - OVERDUE_WINDOW,
            Enrolment.due_on <= today + timedelta(days=days),
            User.is_active_account.is_(True),
        )
        .order_by(Enrolment.id)
    ).all()
    made = 0
    for enrolment, user, course in rows:
        made += notify_due(
            user,
            overdue=enrolment.due_on < today,
            enrolment_id=enrolment.id,
            course_title=course.title,
            due_on=enrolment.due_on,
            today=today,
            link=path_for("content.course", course_key=course.key),
        )
    return made


def newly_at_risk(viewer: User, now: datetime, today: date) -> list[tuple[User, Enrolment, Course]]:
    """Candidates in the viewer's scope who joined an at-risk list this week: idle past a week,
    past their due date, or a week enrolled without starting. One row per candidate."""
    queries = risk_queries(viewer, inactive_days=7)
    recent = {
        "inactive": queries["inactive"].where(Enrolment.last_activity_at >= now - 2 * NEW_RISK_WINDOW),
        "overdue": queries["overdue"].where(Enrolment.due_on >= today - NEW_RISK_WINDOW),
        "not_started": queries["not_started"].where(Enrolment.enrolled_at >= now - 2 * NEW_RISK_WINDOW),
    }
    found: dict[int, tuple[User, Enrolment, Course]] = {}
    for query in recent.values():
        for enrolment, user, course in db.session.execute(with_candidates(query).add_columns(User, Course)):
            found.setdefault(user.id, (user, enrolment, course))
    return sorted(found.values(), key=lambda row: (row[0].display_name, row[0].id))


def send_weekly_summaries(today: date, now: datetime | None = None) -> int:
    """One summary a week to each coordinator (mail on) of their scope; recorded like a digest."""
    now = now or utcnow()
    week = today - timedelta(days=today.weekday())
    sent = 0
    coordinators = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.COORDINATOR, User.is_active_account.is_(True))
        .order_by(User.id)
    ).all()
    for coordinator in coordinators:
        if not wants_mail(coordinator):
            continue
        overview = national_overview(coordinator)
        totals = Cell()
        for row in overview.rows:
            totals.add(row.total)
        at_risk = newly_at_risk(coordinator, now, today)
        if not claim_day(coordinator, "weekly", week, len(at_risk)):
            continue
        scope = region_scope(coordinator)
        enqueue(
            "weekly_summary",
            to_address=coordinator.email,
            to_name=coordinator.display_name,
            locale=coordinator.locale,
            user_id=coordinator.id,
            context={
                "region": db.session.get(Region, scope) if scope else None,
                "totals": totals,
                "at_risk": [
                    (user.display_name, enrolment.region_code or "", course.title)
                    for user, enrolment, course in at_risk[:WEEKLY_NAMES]
                ],
                "at_risk_total": len(at_risk),
                "at_risk_link": public_link(path_for("dashboards.at_risk")),
            },
        )
        sent += 1
    db.session.flush()
    return sent


def remind(today: date, *, weekly: bool) -> RemindReport:
    """The whole daily run; the caller commits."""
    report = RemindReport()
    report.due_notifications = notify_due_dates(today, int(current_app.config["REMIND_DUE_DAYS"]))
    report.digests = send_digests(today)
    if weekly:
        report.weekly = send_weekly_summaries(today)
    return report

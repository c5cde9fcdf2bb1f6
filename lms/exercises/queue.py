"""The instructors' review queue: submissions and free-text playthroughs, oldest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.accounts.models import User
from lms.accounts.services import regions_query
from lms.content.models import Course, Lesson
from lms.core.time import utcnow
from lms.exercises.models import Playthrough, Submission
from lms.extensions import db

PAGE_SIZE = 25
QUEUE_STATUSES = ("waiting", "submitted", "in_review", "returned", "accepted", "playthroughs")


@dataclass
class QueueFilters:
    course: str = ""
    region: str = ""
    status: str = "waiting"  # waiting = submitted + in review + playthroughs pending review
    older_than_days: int | None = None

    @classmethod
    def from_args(cls, args: MultiDict) -> QueueFilters:
        status = args.get("status", "waiting")
        days = args.get("older_than_days", "")
        return cls(
            course=args.get("course", "")[:80],
            region=args.get("region", "")[:3],
            status=status if status in QUEUE_STATUSES else "waiting",
            older_than_days=int(days) if days.isdecimal() and int(days) < 3650 else None,
        )


@dataclass
class QueueRow:
    kind: str  # "submission" | "playthrough"
    id: int
    candidate: User
    item: Lesson
    course: Course
    status: str
    waiting_since: datetime
    reviewer: User | None = None
    team_region: str | None = None  # a team assignment's work: the region whose team wrote it

    @property
    def age_days(self) -> int:
        return (utcnow() - self.waiting_since).days


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool
    total: int = 0
    filters: QueueFilters = field(default_factory=QueueFilters)


def _common(query, model, filters: QueueFilters, date_column, course_ids: sa.Select | None):
    query = (
        query.join(User, User.id == model.user_id)
        .join(Lesson, Lesson.id == model.item_id)
        .join(Course, Course.id == Lesson.course_id)
    )
    if course_ids is not None:
        query = query.where(Lesson.course_id.in_(course_ids))
    if filters.course:
        query = query.where(Course.key == filters.course)
    if filters.region:
        team = getattr(model, "team_region_code", None)  # a team's work is its region's, not its starter's
        region = User.region_code if team is None else sa.func.coalesce(team, User.region_code)
        query = query.where(region == filters.region)
    if filters.older_than_days is not None:
        query = query.where(date_column <= utcnow() - timedelta(days=filters.older_than_days))
    return query


def review_queue(filters: QueueFilters, *, page: int = 1, course_ids: sa.Select | None = None) -> QueuePage:
    """One page of the queue; `course_ids` (lms.content.staff.taught_course_ids) limits it to some courses."""
    limit = page * PAGE_SIZE + 1
    rows: list[QueueRow] = []
    submission_statuses = {
        "waiting": ("submitted", "in_review"),
        "submitted": ("submitted",),
        "in_review": ("in_review",),
        "returned": ("returned",),
        "accepted": ("accepted",),
    }.get(filters.status)
    total = 0
    if submission_statuses:
        query = _common(
            sa.select(Submission, User, Lesson, Course),
            Submission,
            filters,
            Submission.submitted_at,
            course_ids,
        ).where(Submission.status.in_(submission_statuses))
        total += db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        for submission, user, lesson, course in db.session.execute(
            query.order_by(Submission.submitted_at, Submission.id).limit(limit)
        ):
            rows.append(
                QueueRow(
                    "submission",
                    submission.id,
                    user,
                    lesson,
                    course,
                    submission.status,
                    submission.submitted_at or submission.updated_at,
                    submission.reviewer,
                    submission.team_region_code,
                )
            )
    if filters.status in ("waiting", "playthroughs"):
        query = _common(
            sa.select(Playthrough, User, Lesson, Course),
            Playthrough,
            filters,
            Playthrough.finished_at,
            course_ids,
        ).where(Playthrough.review_status == "pending")
        total += db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        for playthrough, user, lesson, course in db.session.execute(
            query.order_by(Playthrough.finished_at, Playthrough.id).limit(limit)
        ):
            rows.append(
                QueueRow(
                    "playthrough", playthrough.id, user, lesson, course, "pending", playthrough.finished_at
                )
            )
    rows.sort(key=lambda row: (row.waiting_since, row.kind, row.id))
    start = (page - 1) * PAGE_SIZE
    return QueuePage(rows[start : start + PAGE_SIZE], page, len(rows) > start + PAGE_SIZE, total, filters)


def filter_options(course_ids: sa.Select | None = None) -> dict:
    courses = (
        sa.select(Course.key, Course.title).where(Course.archived_at.is_(None)).order_by(Course.position)
    )
    if course_ids is not None:
        courses = courses.where(Course.id.in_(course_ids))
    return {
        "courses": db.session.execute(courses).all(),
        "regions": db.session.scalars(regions_query()).all(),
    }

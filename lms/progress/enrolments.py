"""Enrolment: once per candidate and course, whoever asks first (a page, a cohort, an import), with
the region copied onto it so that dashboards filter without a join."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.signals import region_changed
from lms.content.models import Course
from lms.core.db import insert_or_ignore
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import rollups
from lms.progress.models import Enrolment


def get_enrolment(user: User, course: Course) -> Enrolment | None:
    return db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )


def enrol(user: User, course: Course, *, cohort_id: int | None = None, due_on=None) -> Enrolment:
    """Enrol once; a second call (or a concurrent one) returns the same row."""
    return enrol_new(user, course, cohort_id=cohort_id, due_on=due_on)[0]


def enrol_new(
    user: User, course: Course, *, cohort_id: int | None = None, due_on=None
) -> tuple[Enrolment, bool]:
    """`enrol`, also telling whether this call made the enrolment (staff assigning a course notify)."""
    enrolment = get_enrolment(user, course)
    if enrolment is not None:  # the usual case: one SELECT, no INSERT attempt
        return enrolment, False
    inserted = insert_or_ignore(
        Enrolment,
        {
            "user_id": user.id,
            "course_id": course.id,
            "enrolled_at": utcnow(),
            "region_code": user.region_code,
            "cohort_id": cohort_id,
            "due_on": due_on,
            "status": "not_started",
            "lessons_done": 0,
            "due_overridden": False,
        },
        ["user_id", "course_id"],
    )
    enrolment = get_enrolment(user, course)
    assert enrolment is not None
    if inserted:
        rollups.count_new(enrolment)
    return enrolment, inserted


def change_region(user: User, region_code: str | None) -> None:
    """Move a candidate to another region, carrying their enrolments and rollup counts along.

    Enrolments copy the candidate's region so dashboards filter without a join; this keeps the
    copy true (the region list also filters users by region to walk its name index).
    """
    user.region_code = region_code
    for enrolment in db.session.scalars(sa.select(Enrolment).where(Enrolment.user_id == user.id)):
        if enrolment.region_code != region_code:
            rollups.move(enrolment, cohort_id=enrolment.cohort_id, region_code=region_code)
    db.session.flush()


@region_changed.connect
def _follow_region_change(user: User, **_details) -> None:
    change_region(user, user.region_code)

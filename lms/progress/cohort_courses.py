"""A cohort's courses and due dates: give a cohort a course (or move its due date), members'
enrolments following; a personal due date for one candidate.

Split from lms.progress.cohorts (which re-exports it, so callers need not know): due dates are
their own concern, leaning on the members module for whom a course reaches."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.audit.services import record
from lms.content.models import Course
from lms.extensions import db
from lms.progress import rollups
from lms.progress.cohort_members import enrol_in_course, members, require_open
from lms.progress.models import Cohort, CohortCourse, Enrolment


def set_course(cohort: Cohort, course: Course, due_on: date | None) -> CohortCourse:
    """Add a course to a cohort (or change its due date); members' enrolments follow."""
    require_open(cohort, "course")
    link = db.session.scalar(
        sa.select(CohortCourse).where(
            CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course.id
        )
    )
    added = link is None
    previous = None if link is None else link.due_on
    if link is None:
        link = CohortCourse(cohort=cohort, course_id=course.id)
        db.session.add(link)
    link.due_on = due_on
    db.session.flush()
    for enrolment in db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.cohort_id == cohort.id,
            Enrolment.course_id == course.id,
            Enrolment.due_overridden.is_(False),
        )
        .order_by(Enrolment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ):
        enrolment.due_on = due_on
        rollups.recount(enrolment)
    for member in members(cohort):
        enrol_in_course(cohort, member, link)
    record(
        "cohort.course",
        target=cohort,
        details={
            "course": course.key,
            "added": added,
            "due_on": _iso(due_on),
            "previous_due_on": _iso(previous),
        },
    )
    db.session.flush()
    return link


def override_due(enrolment: Enrolment, due_on: date | None) -> None:
    """A personal due date for one candidate and course (None goes back to the cohort's)."""
    previous = enrolment.due_on
    if due_on is None:
        link = db.session.scalar(
            sa.select(CohortCourse).where(
                CohortCourse.cohort_id == enrolment.cohort_id, CohortCourse.course_id == enrolment.course_id
            )
        )
        enrolment.due_on, enrolment.due_overridden = (link.due_on if link else None), False
    else:
        enrolment.due_on, enrolment.due_overridden = due_on, True
    rollups.recount(enrolment)
    db.session.flush()
    record(
        "due.override",
        target=enrolment.user,
        details={
            "course": enrolment.course.key,
            "due_on": [_iso(previous), _iso(enrolment.due_on)],
            "personal": enrolment.due_overridden,
        },
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None

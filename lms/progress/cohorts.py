"""Cohorts: create them, give them courses with due dates, enrol candidates (one by one or from CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region, User
from lms.audit.services import record
from lms.content.models import Course
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import rollups
from lms.progress.models import Cohort, CohortCourse, CohortMember, Enrolment
from lms.progress.services import enrol

CSV_COLUMNS = ("username", "cohort", "course")
CSV_OPTIONAL = ("due_on",)


def create_cohort(
    name: str,
    *,
    region_code: str | None,
    campaign: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Cohort:
    name = name.strip()
    if not name:
        raise ValidationError("name", _l("Give the cohort a name."))
    if db.session.scalar(sa.select(Cohort.id).where(Cohort.name == name)) is not None:
        raise ValidationError("name", _l("A cohort with this name already exists."))
    if region_code and db.session.get(Region, region_code) is None:
        raise ValidationError("region", _l("Unknown region."))
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("ends_on", _l("The end date is before the start date."))
    cohort = Cohort(
        name=name,
        region_code=region_code or None,
        campaign=campaign.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


def set_course(cohort: Cohort, course: Course, due_on: date | None) -> CohortCourse:
    """Add a course to a cohort (or change its due date); members' enrolments follow."""
    link = db.session.scalar(
        sa.select(CohortCourse).where(
            CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course.id
        )
    )
    if link is None:
        link = CohortCourse(cohort=cohort, course_id=course.id)
        db.session.add(link)
    link.due_on = due_on
    db.session.flush()
    for enrolment in db.session.scalars(
        sa.select(Enrolment).where(
            Enrolment.cohort_id == cohort.id,
            Enrolment.course_id == course.id,
            Enrolment.due_overridden.is_(False),
        )
    ):
        enrolment.due_on = due_on
        rollups.recount(enrolment)
    for member in members(cohort):
        add_member(cohort, member)
    db.session.flush()
    return link


def members(cohort: Cohort) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.username)
        )
    )


def _join(cohort: Cohort, user: User) -> None:
    insert_or_ignore(
        CohortMember,
        {"cohort_id": cohort.id, "user_id": user.id, "added_at": utcnow()},
        ["cohort_id", "user_id"],
    )


def add_member(cohort: Cohort, user: User, *, due_override: dict[int, date] | None = None) -> list[Enrolment]:
    """Enrol a candidate in every course of the cohort, with the cohort's due dates."""
    if user.role != Role.CANDIDATE:
        raise ValidationError("username", _l("Only candidates can join a cohort."))
    if cohort.region_code and user.region_code != cohort.region_code:
        raise ValidationError("username", _l("The candidate is from another region than the cohort."))
    _join(cohort, user)
    enrolments = []
    for link in cohort.courses:
        enrolment = enrol(user, link.course, cohort_id=cohort.id, due_on=link.due_on)
        if enrolment.cohort_id != cohort.id:
            rollups.move(enrolment, cohort_id=cohort.id, region_code=enrolment.region_code)
        override = (due_override or {}).get(link.course_id)
        if override is not None:
            enrolment.due_on, enrolment.due_overridden = override, True
        elif not enrolment.due_overridden:
            enrolment.due_on = link.due_on
        rollups.recount(enrolment)
        enrolments.append(enrolment)
    db.session.flush()
    return enrolments


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


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


def enroll_from_csv(text: str) -> tuple[int, list[RowError]]:
    """Enrol candidates from CSV (username, cohort, course[, due_on]). Any bad row: nothing is enrolled.

    Returns (rows enrolled, errors); the caller rolls back when there are errors.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        return 0, [
            RowError(
                1,
                f"missing column(s): {', '.join(missing)} (expected {', '.join(CSV_COLUMNS)}"
                f"[, {', '.join(CSV_OPTIONAL)}])",
            )
        ]
    reader.fieldnames = header
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    cohorts = {c.name: c for c in db.session.scalars(sa.select(Cohort))}
    courses = {c.key: c for c in db.session.scalars(sa.select(Course).where(Course.archived_at.is_(None)))}
    errors: list[RowError] = []
    planned = []
    seen = set()
    for line_number, row in enumerate(reader, start=2):
        if row is None or not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        username = (row.get("username") or "").strip().lower()
        cohort = cohorts.get((row.get("cohort") or "").strip())
        course = courses.get((row.get("course") or "").strip())
        user = users.get(username)
        problems = []
        if user is None:
            problems.append(f"unknown user {username!r}")
        elif user.role != Role.CANDIDATE:
            problems.append(f"{username!r} is not a candidate")
        if cohort is None:
            problems.append(f"unknown cohort {(row.get('cohort') or '').strip()!r}")
        if course is None:
            problems.append(f"unknown course {(row.get('course') or '').strip()!r}")
        due = None
        raw_due = (row.get("due_on") or "").strip()
        if raw_due:
            try:
                due = date.fromisoformat(raw_due)
            except ValueError:
                problems.append(f"due_on {raw_due!r} is not a date (YYYY-MM-DD)")
        if user and cohort and cohort.region_code and user.region_code != cohort.region_code:
            problems.append(
                f"{username!r} is from region {user.region_code}, the cohort from {cohort.region_code}"
            )
        key = (username, course.key if course else None)
        if key in seen:
            problems.append("the same candidate and course appear twice")
        seen.add(key)
        if problems:
            errors.append(RowError(line_number, "; ".join(problems)))
        else:
            planned.append((user, cohort, course, due))
    if errors:
        return 0, errors
    for user, cohort, course, due in planned:
        _join(cohort, user)
        if not any(link.course_id == course.id for link in cohort.courses):
            set_course(cohort, course, None)
        enrolment = enrol(user, course, cohort_id=cohort.id)
        if enrolment.cohort_id != cohort.id:
            rollups.move(enrolment, cohort_id=cohort.id, region_code=enrolment.region_code)
        link = next(link for link in cohort.courses if link.course_id == course.id)
        if due is not None:
            enrolment.due_on, enrolment.due_overridden = due, True
        elif not enrolment.due_overridden:
            enrolment.due_on = link.due_on
        rollups.recount(enrolment)
    db.session.flush()
    return len(planned), []

"""Bulk enrolment from CSV (username, cohort, course[, due_on]): every row checked first, all or nothing."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.services import record
from lms.content.models import Course
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.cohorts import enrol_in_course, join_cohort, names_for_audit, set_course
from lms.progress.models import Cohort

CSV_COLUMNS = ("username", "cohort", "course")
CSV_OPTIONAL = ("due_on",)


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
        elif cohort.archived_at is not None:
            problems.append(f"cohort {cohort.name!r} is archived")
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
    joined: dict[Cohort, list[User]] = defaultdict(list)
    for user, cohort, course, due in planned:
        # The course first, then the member: so the candidate's enrolment is made once, with the
        # row's due date, and the "new course" notification names that date.
        link = next((link for link in cohort.courses if link.course_id == course.id), None)
        if link is None:
            link = set_course(cohort, course, None)
        if join_cohort(cohort, user):
            joined[cohort].append(user)
        enrol_in_course(cohort, user, link, due)
    for cohort, users in joined.items():
        record("cohort.member_add", target=cohort, details={**names_for_audit(users), "via": "csv"})
    db.session.flush()
    return len(planned), []

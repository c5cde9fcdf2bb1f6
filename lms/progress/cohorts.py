"""Cohorts: create, rename and archive them, give them courses with due dates, add and remove members.

This module holds a cohort itself (its fields, archiving); its members (lms.progress.cohort_members)
and its courses and due dates (lms.progress.cohort_courses) live in modules of their own and are
reached here too, as the one entry point for callers. Bulk enrolment from CSV is
lms.progress.cohort_csv."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region
from lms.audit.services import record
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import rollups
from lms.progress.cohort_courses import override_due, set_course
from lms.progress.cohort_members import (
    AUDIT_NAMES,
    MEMBERS_PAGE,
    MemberRow,
    add_member,
    add_members,
    enrol_in_course,
    join_cohort,
    member_count,
    member_counts,
    member_page,
    members,
    names_for_audit,
    remove_member,
    require_open,
)
from lms.progress.models import Cohort

__all__ = [
    "AUDIT_NAMES",
    "MEMBERS_PAGE",
    "MemberRow",
    "add_member",
    "add_members",
    "archive_cohort",
    "can_archive",
    "create_cohort",
    "enrol_in_course",
    "join_cohort",
    "member_count",
    "member_counts",
    "member_page",
    "members",
    "names_for_audit",
    "override_due",
    "remove_member",
    "set_course",
    "unarchive_cohort",
    "update_cohort",
]


def _check_fields(
    name: str, starts_on: date | None, ends_on: date | None, *, exclude_id: int | None = None
) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("name_missing", _l("Give the cohort a name."), field="name")
    taken = sa.select(Cohort.id).where(Cohort.name == name)
    if exclude_id is not None:
        taken = taken.where(Cohort.id != exclude_id)
    if db.session.scalar(taken) is not None:
        raise ValidationError("name_taken", _l("A cohort with this name already exists."), field="name")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError(
            "ends_before_start", _l("The end date is before the start date."), field="ends_on"
        )
    return name


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def create_cohort(
    name: str,
    *,
    region_code: str | None,
    campaign: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Cohort:
    name = _check_fields(name, starts_on, ends_on)
    if region_code and db.session.get(Region, region_code) is None:
        raise ValidationError("unknown_region", _l("Unknown region."), field="region")
    cohort = Cohort(
        name=name,
        region_code=region_code or None,
        campaign=campaign.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(cohort)
    db.session.flush()
    record(
        "cohort.create",
        target=cohort,
        details={
            "region": cohort.region_code,
            "campaign": cohort.campaign,
            "starts_on": _day(starts_on),
            "ends_on": _day(ends_on),
        },
    )
    return cohort


def update_cohort(
    cohort: Cohort, *, name: str, campaign: str, starts_on: date | None, ends_on: date | None
) -> dict[str, list]:
    """Rename a cohort or change its campaign and dates; returns what changed as {field: [old, new]}."""
    require_open(cohort)
    name = _check_fields(name, starts_on, ends_on, exclude_id=cohort.id)
    changes: dict[str, list] = {}
    for column, value, shown in (
        ("name", name, name),
        ("campaign", campaign.strip(), campaign.strip()),
        ("starts_on", starts_on, _day(starts_on)),
        ("ends_on", ends_on, _day(ends_on)),
    ):
        old = getattr(cohort, column)
        if old != value:
            changes[column] = [_day(old) if isinstance(old, date) else old, shown]
            setattr(cohort, column, value)
    if changes:
        record("cohort.update", target=cohort, details={"changes": changes})
    db.session.flush()
    return changes


def can_archive(cohort: Cohort, today: date | None = None) -> bool:
    """Only an empty cohort, or one whose end date has passed, may be archived."""
    if cohort.archived_at is not None:
        return False
    ended = cohort.ends_on is not None and cohort.ends_on < (today or rollups.school_today())
    return ended or member_count(cohort) == 0


def archive_cohort(cohort: Cohort, today: date | None = None) -> None:
    """Archive a finished or empty cohort: it keeps its history and takes no new members or courses."""
    if cohort.archived_at is not None:
        raise ValidationError("already_archived", _l("The cohort is already archived."))
    if not can_archive(cohort, today):
        raise ValidationError(
            "not_archivable", _l("Only an empty cohort or one whose end date has passed can be archived.")
        )
    cohort.archived_at = utcnow()
    record("cohort.archive", target=cohort, details={"members": member_count(cohort)})
    db.session.flush()


def unarchive_cohort(cohort: Cohort) -> None:
    if cohort.archived_at is None:
        raise ValidationError("not_archived", _l("The cohort is not archived."))
    cohort.archived_at = None
    record("cohort.unarchive", target=cohort)
    db.session.flush()

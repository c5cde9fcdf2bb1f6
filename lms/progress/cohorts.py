"""Cohorts: create, rename and archive them, give them courses with due dates, add and remove members.

Bulk enrolment from CSV is lms.progress.cohort_csv."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from lms.accounts.models import Region, User
from lms.audit.services import record
from lms.content.models import Course
from lms.core.db import insert_many_or_ignore, insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications.services import notify_course_assigned, path_for
from lms.progress import rollups
from lms.progress.models import Cohort, CohortCourse, CohortMember, Enrolment
from lms.progress.services import enrol_new

MEMBERS_PAGE = 100
AUDIT_NAMES = 200  # usernames kept in one audit event; the count is always whole


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


def _require_open(cohort: Cohort, field: str | None = None) -> None:
    if cohort.archived_at is not None:
        raise ValidationError(
            "cohort_archived", _l("The cohort is archived: unarchive it to change it."), field=field
        )


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
    _require_open(cohort)
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


def set_course(cohort: Cohort, course: Course, due_on: date | None) -> CohortCourse:
    """Add a course to a cohort (or change its due date); members' enrolments follow."""
    _require_open(cohort, "course")
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
            "due_on": _day(due_on),
            "previous_due_on": _day(previous),
        },
    )
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


def member_count(cohort: Cohort) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(CohortMember).where(CohortMember.cohort_id == cohort.id)
    )


def member_counts(cohort_ids: list[int]) -> dict[int, int]:
    """Members of each cohort, in one grouped query (for the cohort list)."""
    if not cohort_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(CohortMember.cohort_id, sa.func.count())
            .where(CohortMember.cohort_id.in_(cohort_ids))
            .group_by(CohortMember.cohort_id)
        ).all()
    )


@dataclass
class MemberRow:
    """A member as the cohort page lists them, with their enrolments in the cohort's courses."""

    user: User
    enrolments: list[Enrolment]


def member_page(cohort: Cohort, *, page: int = 1, per_page: int = MEMBERS_PAGE) -> list[MemberRow]:
    """One page of members by name, with their progress in the cohort's courses (two queries)."""
    users = list(
        db.session.scalars(
            sa.select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.full_name, User.username, User.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    by_user: dict[int, list[Enrolment]] = {user.id: [] for user in users}
    course_ids = [link.course_id for link in cohort.courses]
    if users and course_ids:
        for enrolment in db.session.scalars(
            sa.select(Enrolment)
            .join(Course, Course.id == Enrolment.course_id)
            .where(Enrolment.user_id.in_(list(by_user)), Enrolment.course_id.in_(course_ids))
            .options(contains_eager(Enrolment.course))
            .order_by(Course.position, Course.title)
        ):
            by_user[enrolment.user_id].append(enrolment)
    return [MemberRow(user, by_user[user.id]) for user in users]


def join_cohort(cohort: Cohort, user: User) -> bool:
    return insert_or_ignore(
        CohortMember,
        {"cohort_id": cohort.id, "user_id": user.id, "added_at": utcnow()},
        ["cohort_id", "user_id"],
    )


def _locked(enrolment: Enrolment) -> Enrolment:
    """The enrolment row locked and read afresh, so its counts move from the figures a concurrent
    completion left, not from a stale copy (PostgreSQL; SQLite writers queue anyway)."""
    return db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.id == enrolment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def enrol_in_course(
    cohort: Cohort, user: User, link: CohortCourse, due_override: date | None = None
) -> Enrolment:
    """Enrol a member in one of the cohort's courses; the enrolment counts in this cohort from now on.

    A course new to the candidate is announced to them (an in-app notification, in the digest)."""
    enrolment, new = enrol_new(user, link.course, cohort_id=cohort.id, due_on=link.due_on)
    enrolment = _locked(enrolment)
    if enrolment.cohort_id != cohort.id:
        rollups.move(enrolment, cohort_id=cohort.id, region_code=enrolment.region_code)
    if due_override is not None:
        enrolment.due_on, enrolment.due_overridden = due_override, True
    elif not enrolment.due_overridden:
        enrolment.due_on = link.due_on
    rollups.recount(enrolment)
    if new:
        notify_course_assigned(
            user,
            course_title=link.course.title,
            due_on=enrolment.due_on,
            link=path_for("content.course", course_key=link.course.key),
        )
    return enrolment


def add_member(cohort: Cohort, user: User, *, due_override: dict[int, date] | None = None) -> list[Enrolment]:
    """Enrol a candidate in every course of the cohort, with the cohort's due dates."""
    _require_open(cohort, "username")
    if user.role != Role.CANDIDATE:
        raise ValidationError("not_candidate", _l("Only candidates can join a cohort."), field="username")
    if cohort.region_code and user.region_code != cohort.region_code:
        raise ValidationError(
            "other_region", _l("The candidate is from another region than the cohort."), field="username"
        )
    join_cohort(cohort, user)
    enrolments = [
        enrol_in_course(cohort, user, link, (due_override or {}).get(link.course_id))
        for link in cohort.courses
    ]
    db.session.flush()
    return enrolments


def add_members(cohort: Cohort, users: list[User]) -> int:
    """Add candidates to a cohort (all or none: the first refusal raises); one audit event.

    Memberships go in with one INSERT (a bulk import adds thousands); enrolments in the cohort's
    courses follow one by one, as `add_member` makes them.
    """
    _require_open(cohort, "username")
    for user in users:
        code, problem = None, None
        if user.role != Role.CANDIDATE:
            code, problem = "not_candidate", _l("Only candidates can join a cohort.")
        elif cohort.region_code and user.region_code != cohort.region_code:
            code, problem = "other_region", _l("The candidate is from another region than the cohort.")
        if code is not None:
            raise ValidationError(code, f"{user.username}: {problem}", field="username")
    now = utcnow()
    insert_many_or_ignore(
        CohortMember,
        [{"cohort_id": cohort.id, "user_id": user.id, "added_at": now} for user in users],
        ["cohort_id", "user_id"],
    )
    for user in users:
        for link in cohort.courses:
            enrol_in_course(cohort, user, link)
    db.session.flush()
    if users:
        record("cohort.member_add", target=cohort, details=names_for_audit(users))
    return len(users)


def names_for_audit(users: list[User]) -> dict:
    names = [user.username for user in users]
    return {"count": len(names), "usernames": names[:AUDIT_NAMES]}


def remove_member(cohort: Cohort, user: User) -> int:
    """Take a candidate out of a cohort; returns how many of their enrolments left it.

    Their enrolments and all progress stay. Each enrolment that counted in this cohort leaves its
    counts: it moves to another (open) cohort of theirs that takes the same course, or to none.
    A personal due date stays; the cohort's due date goes (or becomes the other cohort's).
    """
    _require_open(cohort)
    removed = db.session.execute(
        sa.delete(CohortMember).where(CohortMember.cohort_id == cohort.id, CohortMember.user_id == user.id)
    ).rowcount
    if not removed:  # never was, or a double click removed them a moment ago
        raise ValidationError("not_member", _l("The candidate is not in this cohort."))
    # Locked and read afresh: a completion in flight must not be counted against stale figures.
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.user_id == user.id, Enrolment.cohort_id == cohort.id)
            .order_by(Enrolment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    for enrolment in enrolments:
        other = db.session.scalar(
            sa.select(CohortCourse)
            .join(CohortMember, CohortMember.cohort_id == CohortCourse.cohort_id)
            .join(Cohort, Cohort.id == CohortCourse.cohort_id)
            .where(
                CohortMember.user_id == user.id,
                CohortCourse.course_id == enrolment.course_id,
                Cohort.archived_at.is_(None),
            )
            .order_by(CohortMember.added_at.desc(), CohortCourse.cohort_id.desc())
            .limit(1)
        )
        rollups.move(
            enrolment, cohort_id=other.cohort_id if other else None, region_code=enrolment.region_code
        )
        if not enrolment.due_overridden:
            enrolment.due_on = other.due_on if other else None
        rollups.recount(enrolment)
    record(
        "cohort.member_remove",
        target=cohort,
        details={"username": user.username, "enrolments": len(enrolments)},
    )
    db.session.flush()
    return len(enrolments)


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

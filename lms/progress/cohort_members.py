"""Cohort members: who is in a cohort (lists, counts, the cohort page's rows), adding and removing
them, and the enrolment each member gets in each of the cohort's courses.

Split from lms.progress.cohorts (which re-exports all of it, so callers need not know): the
members are most of a cohort's code, and the courses and archiving both lean on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from lms.accounts.models import User
from lms.accounts.signals import region_changed
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


def require_open(cohort: Cohort, field: str | None = None) -> None:
    """Refuse to change an archived cohort (its members, courses or fields)."""
    if cohort.archived_at is not None:
        raise ValidationError(
            "cohort_archived", _l("The cohort is archived: unarchive it to change it."), field=field
        )


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
    require_open(cohort, "username")
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
    require_open(cohort, "username")
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
    require_open(cohort)
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


@region_changed.connect
def _leave_other_regions_cohorts(user: User, **_details) -> None:
    """A candidate moved to another region leaves the open cohorts of other regions (their
    progress stays): a regional cohort holds its region's candidates only, so its coordinator
    would otherwise go on seeing someone now in another region. Archived cohorts keep them."""
    if user.region_code is None:
        return
    cohorts = db.session.scalars(
        sa.select(Cohort)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(
            CohortMember.user_id == user.id,
            Cohort.region_code.is_not(None),
            Cohort.region_code != user.region_code,
            Cohort.archived_at.is_(None),
        )
        .order_by(Cohort.id)
    ).all()
    for cohort in cohorts:
        remove_member(cohort, user)

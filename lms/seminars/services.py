"""Who is invited to which seminar and who may see, run or manage it: the public API the
attendance, survey and team-project parts of seminars build on.

Invitations name cohorts or whole regions. Participants are the active candidates in an invited
cohort or living in an invited region. Admins and national coordinators manage every seminar;
a regional coordinator sees (read-only) the seminars their region takes part in; an instructor
who teaches a course linked from a seminar's programme sees it and may take its attendance.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.content.staff import taught_course_ids
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.models import Cohort, CohortMember
from lms.progress.visibility import region_scope
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession, SessionLink

__all__ = [
    "is_participant",
    "may_manage",
    "may_take_attendance",
    "may_view",
    "participants",
    "seminar_or_404",
    "seminars_for",
    "session_or_404",
    "visible_seminars",
]


def _live() -> sa.Select:
    return sa.select(Seminar).where(Seminar.archived_at.is_(None))


def _invited_ids_for_candidate(user: User) -> sa.Select:
    """Ids of seminars inviting one of the user's cohorts or the user's region."""
    cohort_ids = sa.select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
    condition = SeminarInvite.cohort_id.in_(cohort_ids)
    if user.region_code:
        condition = sa.or_(condition, SeminarInvite.region_id == user.region_code)
    return sa.select(SeminarInvite.seminar_id).where(condition)


def _invited_ids_for_region(region: str) -> sa.Select:
    """Ids of seminars a region takes part in: invited as a whole, through a cohort of the region,
    or through a national cohort with members from the region."""
    members_here = (
        sa.select(CohortMember.cohort_id)
        .join(User, User.id == CohortMember.user_id)
        .where(User.region_code == region)
    )
    cohorts_here = sa.select(Cohort.id).where(
        sa.or_(Cohort.region_code == region, Cohort.id.in_(members_here))
    )
    return sa.select(SeminarInvite.seminar_id).where(
        sa.or_(SeminarInvite.region_id == region, SeminarInvite.cohort_id.in_(cohorts_here))
    )


def _taught_ids(user: User) -> sa.Select:
    """Ids of seminars whose programme links a course this instructor teaches."""
    courses = taught_course_ids(user)
    query = sa.select(SeminarSession.seminar_id).join(
        SessionLink, SessionLink.session_id == SeminarSession.id
    )
    return query if courses is None else query.where(SessionLink.course_id.in_(courses))


def visible_seminars(user: User) -> sa.Select:
    """A SELECT of the live seminars this user may open, by role (the one scope every page uses)."""
    query = _live()
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.COORDINATOR:
        region = region_scope(user)
        return query if region is None else query.where(Seminar.id.in_(_invited_ids_for_region(region)))
    if user.role == Role.INSTRUCTOR:
        return query.where(Seminar.id.in_(_taught_ids(user)))
    return query.where(Seminar.id.in_(_invited_ids_for_candidate(user)))


def seminars_for(user: User) -> list[Seminar]:
    """The live seminars a user takes part in or looks after, earliest first."""
    query = visible_seminars(user).order_by(Seminar.starts_on, Seminar.title, Seminar.id)
    return list(db.session.scalars(query))


def participants(seminar: Seminar) -> sa.Select:
    """A SELECT of the active candidates invited (by cohort or region), in name order; narrow it
    with `lms.progress.visibility.in_scope(query, User.region_code, viewer)` for coordinators."""
    invites = sa.select(SeminarInvite).where(SeminarInvite.seminar_id == seminar.id).subquery()
    in_cohort = sa.select(CohortMember.user_id).where(
        CohortMember.cohort_id.in_(sa.select(invites.c.cohort_id).where(invites.c.cohort_id.is_not(None)))
    )
    in_region = User.region_code.in_(sa.select(invites.c.region_id).where(invites.c.region_id.is_not(None)))
    return (
        sa.select(User)
        .where(
            User.role == Role.CANDIDATE,
            User.is_active_account.is_(True),
            sa.or_(User.id.in_(in_cohort), in_region),
        )
        .order_by(User.full_name, User.username, User.id)
    )


def is_participant(user: User, seminar: Seminar) -> bool:
    """The user is one of the seminar's invited candidates."""
    query = participants(seminar).where(User.id == user.id).order_by(None)
    return bool(db.session.scalar(sa.select(query.exists())))


def may_view(user: User, seminar: Seminar) -> bool:
    """The seminar is in the user's scope (see `visible_seminars`)."""
    if seminar.archived_at is not None and not may_manage(user, seminar):
        return False
    if may_manage(user, seminar):
        return True
    query = visible_seminars(user).where(Seminar.id == seminar.id).order_by(None)
    return bool(db.session.scalar(sa.select(query.exists())))


def may_manage(user: User, seminar: Seminar | None = None) -> bool:
    """Create and change seminars: admins and national coordinators, for every seminar."""
    return user.role == Role.ADMIN or (user.role == Role.COORDINATOR and not user.region_code)


def may_take_attendance(user: User, seminar: Seminar) -> bool:
    """Mark who came: whoever manages the seminar, a coordinator of a region taking part (for
    their region's participants: scope the list with `region_scope`), and an instructor who
    teaches a course the programme links."""
    if may_manage(user, seminar):
        return True
    if user.role in (Role.COORDINATOR, Role.INSTRUCTOR):
        return may_view(user, seminar)
    return False


def seminar_or_404(key: str) -> Seminar:
    """A live seminar by key; 404 when there is none (scope is the caller's `may_view`)."""
    seminar = db.session.scalar(_live().where(Seminar.key == key))
    if seminar is None:
        abort(404)
    return seminar


def session_or_404(seminar: Seminar, session_key: str) -> SeminarSession:
    """One session of a seminar by key; 404 when the seminar has no such session."""
    session = db.session.scalar(
        sa.select(SeminarSession).where(
            SeminarSession.seminar_id == seminar.id, SeminarSession.key == session_key
        )
    )
    if session is None:
        abort(404)
    return session

"""Who may see whom: the one rule every dashboard, export, report and review page asks.

Regions: an admin or a national coordinator sees every region, a regional coordinator their own
(their candidates, enrolments, cohorts and regions); nobody else sees candidates by region.
Courses: an instructor sees the courses they teach, an admin every course (the rule itself is
lms.content.staff, kept with the course staff it reads); coordinators see every course's figures,
for their region.

The functions answer and never abort: a query comes back narrowed, a look-up comes back None and
a viewer outside the rule gets `Refused`; views turn those into 404 and 403.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import Region, User
from lms.accounts.services import regions_query
from lms.content.staff import taught_course_ids, teaches, teaches_anything
from lms.core.roles import Refused, Role
from lms.extensions import db
from lms.progress.models import Cohort, Enrolment

__all__ = [
    "Refused",
    "analysis_region",
    "in_scope",
    "may_analyse",
    "may_see_region",
    "may_set_due",
    "region_scope",
    "selectable_regions",
    "taught_course_ids",
    "teaches",
    "teaches_anything",
    "visible_candidate",
    "visible_candidates",
    "visible_cohort",
    "visible_cohorts",
    "visible_enrolments",
    "visible_regions",
]


def region_scope(viewer: User) -> str | None:
    """The one region a viewer is limited to, or None for national coordinators and admins.

    Raises Refused for everyone else: they see no candidates by region at all.
    """
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.COORDINATOR:
        return viewer.region_code or None
    raise Refused


def in_scope(query: sa.Select, region_column, viewer: User) -> sa.Select:
    """`query` limited to rows whose `region_column` is in the viewer's region scope."""
    region = region_scope(viewer)
    return query if region is None else query.where(region_column == region)


def may_see_region(viewer: User, region_code: str) -> bool:
    """Another region's pages are simply not there for a regional coordinator."""
    region = region_scope(viewer)
    return region is None or region == region_code


def visible_regions(viewer: User) -> sa.Select:
    """Regions this viewer may see (and put a cohort in), by code."""
    return in_scope(regions_query(), Region.code, viewer)


def selectable_regions(viewer: User) -> list[Region]:
    """The regions a viewer may pick in a filter: their scope for coordinators and admins; every
    region for instructors (who are limited by course, not by region)."""
    query = visible_regions(viewer) if viewer.role in (Role.COORDINATOR, Role.ADMIN) else regions_query()
    return list(db.session.scalars(query))


def visible_enrolments(viewer: User) -> sa.Select:
    """Enrolments of candidates this viewer may see."""
    return in_scope(sa.select(Enrolment), Enrolment.region_code, viewer)


def visible_candidates(viewer: User) -> sa.Select:
    """Candidate accounts this viewer may see."""
    return in_scope(sa.select(User).where(User.role == Role.CANDIDATE), User.region_code, viewer)


def visible_candidate(viewer: User, user_id: int) -> User | None:
    return db.session.scalar(visible_candidates(viewer).where(User.id == user_id))


def visible_cohorts(viewer: User) -> sa.Select:
    """Cohorts this viewer may see and manage: every cohort for admins and national coordinators,
    their region's for a regional coordinator (a national cohort lists candidates of every region)."""
    return in_scope(sa.select(Cohort), Cohort.region_code, viewer)


def visible_cohort(viewer: User, cohort_id: int) -> Cohort | None:
    return db.session.scalar(visible_cohorts(viewer).where(Cohort.id == cohort_id))


def may_set_due(viewer: User, enrolment: Enrolment) -> bool:
    """Personal due dates: admins and national coordinators for anyone they see; a regional
    coordinator for enrolments in their region's cohorts (the same rule as managing the cohort)."""
    region = region_scope(viewer)
    if region is None:
        return True
    if enrolment.cohort_id is None or enrolment.region_code != region:
        return False
    return visible_cohort(viewer, enrolment.cohort_id) is not None


def may_analyse(viewer: User, course_id: int) -> bool:
    """A quiz's item analysis: coordinators every course's, instructors and admins the courses
    they teach (admins teach every course)."""
    if viewer.role == Role.COORDINATOR:
        return True
    return viewer.role in (Role.INSTRUCTOR, Role.ADMIN) and teaches(viewer, course_id)


def analysis_region(viewer: User, requested: str | None) -> str | None:
    """The region an item analysis counts: a regional coordinator's own whatever was asked, else
    the one asked for (None: every region). Instructors are limited by course, not by region."""
    if viewer.role in (Role.COORDINATOR, Role.ADMIN):
        return region_scope(viewer) or requested
    return requested

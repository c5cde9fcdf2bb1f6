"""Who may see whom. Every dashboard query, filter, chart and export starts from these functions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.models import Cohort, Enrolment


def region_scope(viewer: User) -> str | None:
    """The one region a viewer is limited to, or None for national coordinators and admins."""
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.COORDINATOR:
        return viewer.region_code or None
    abort(403)


def visible_enrolments(viewer: User) -> sa.Select:
    """Enrolments of candidates this viewer may see."""
    query = sa.select(Enrolment)
    region = region_scope(viewer)
    if region is not None:
        query = query.where(Enrolment.region_code == region)
    return query


def visible_candidates(viewer: User) -> sa.Select:
    """Candidate accounts this viewer may see."""
    query = sa.select(User).where(User.role == Role.CANDIDATE)
    region = region_scope(viewer)
    if region is not None:
        query = query.where(User.region_code == region)
    return query


def require_region(viewer: User, region_code: str) -> None:
    """Another region's page is simply not there for a regional coordinator."""
    region = region_scope(viewer)
    if region is not None and region != region_code:
        abort(404)


def candidate_or_404(viewer: User, user_id: int) -> User:
    candidate = db.session.scalar(visible_candidates(viewer).where(User.id == user_id))
    if candidate is None:
        abort(404)
    return candidate


def visible_cohorts(viewer: User) -> sa.Select:
    """Cohorts this viewer may see and manage: every cohort for admins and national coordinators,
    their region's for a regional coordinator (a national cohort lists candidates of every region)."""
    query = sa.select(Cohort)
    region = region_scope(viewer)
    if region is not None:
        query = query.where(Cohort.region_code == region)
    return query


def cohort_or_404(viewer: User, cohort_id: int) -> Cohort:
    cohort = db.session.scalar(visible_cohorts(viewer).where(Cohort.id == cohort_id))
    if cohort is None:
        abort(404)
    return cohort


def may_set_due(viewer: User, enrolment: Enrolment) -> bool:
    """Personal due dates: admins and national coordinators for anyone they see; a regional
    coordinator for enrolments in their region's cohorts (the same rule as managing the cohort)."""
    region = region_scope(viewer)
    if region is None:
        return True
    if enrolment.cohort_id is None or enrolment.region_code != region:
        return False
    return db.session.scalar(visible_cohorts(viewer).where(Cohort.id == enrolment.cohort_id)) is not None

"""Who may see whom. Every dashboard query, filter, chart and export starts from these functions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.models import Enrolment


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

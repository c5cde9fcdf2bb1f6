"""Helpers for the audit tests."""

from __future__ import annotations

import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.extensions import db


def events(action: str | None = None) -> list[AuditEvent]:
    """Committed events (of one action), oldest first; the test's snapshot is ended first."""
    db.session.rollback()
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))

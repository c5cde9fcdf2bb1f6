"""Audit fixtures: an admin who reads the log, and events written straight into it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from lms.audit.models import AuditEvent
from lms.extensions import db


@pytest.fixture
def admin(make_user):
    return make_user("root", role="admin", full_name="Администратор")


@pytest.fixture
def add_event(app) -> Callable[..., AuditEvent]:
    """Factory: add_event("auth.login", at=..., actor=user, target_label=..., address=...), committed."""

    def add(
        action: str,
        *,
        at: datetime | None = None,
        actor=None,
        target_type: str | None = None,
        target_id: str | None = None,
        target_label: str = "",
        address: str = "10.0.0.1",
        details: dict | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            at=at or datetime.now(UTC),
            actor_id=actor.id if actor else None,
            actor_name=actor.username if actor else "",
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            address=address,
            details=details or {},
        )
        db.session.add(event)
        db.session.commit()
        return event

    return add

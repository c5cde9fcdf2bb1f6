"""Recording audit events. `record` adds a row to the caller's transaction, so an action and its
record are committed (or rolled back) together."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_login import current_user

from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db


def client_address() -> str:
    """The client's address as the app sees it (after the proxy settings; see lms.core.proxy)."""
    return (request.remote_addr or "") if has_request_context() else "cli"


def audit_row(
    action: str,
    *,
    target: Any = None,
    target_type: str | None = None,
    target_id: object = None,
    target_label: str = "",
    details: dict | None = None,
    actor: Any = None,
) -> dict[str, Any]:
    """The column values of one audit event (see `record`); bulk operations insert many at once."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if target is not None:
        target_type = target_type or type(target).__tablename__.removesuffix("s")
        target_id = getattr(target, "id", target_id)
        target_label = target_label or str(
            getattr(target, "username", None) or getattr(target, "name", None) or getattr(target, "title", "")
        )
    return {
        "at": utcnow(),
        "actor_id": getattr(actor, "id", None),
        "actor_name": (getattr(actor, "username", "") or "")[:80],
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id)[:64],
        "target_label": (target_label or "")[:300],
        "address": client_address()[:64],
        "details": details or {},
    }


def record(action: str, **fields: Any) -> AuditEvent:
    """Add one audit event: `action` done by `actor` (default: the signed-in user) to `target`.

    Takes `audit_row`'s keywords: `target` may be a model with an `id` (a User's label is its
    username); or give target_type/target_id/target_label yourself.
    """
    event = AuditEvent(**audit_row(action, **fields))
    db.session.add(event)
    return event


def prune(older_than: timedelta) -> int:
    """Delete events older than the retention period; returns how many went."""
    result = db.session.execute(sa.delete(AuditEvent).where(AuditEvent.at < utcnow() - older_than))
    return result.rowcount or 0


def prune_expired() -> int:
    """The retention job (`flask lms cleanup`): drop events older than AUDIT_RETENTION_DAYS.

    0 or less keeps every event. The pruning itself is recorded, so a gap in the log has an
    explanation in the log. The caller commits.
    """
    days = int(current_app.config.get("AUDIT_RETENTION_DAYS") or 0)
    if days <= 0:
        return 0
    deleted = prune(timedelta(days=days))
    if deleted:
        record("audit.prune", details={"deleted": deleted, "older_than_days": days})
    return deleted

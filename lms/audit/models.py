"""Audit events. The application only ever inserts them; a retention job prunes the oldest."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_at", "at"),
        sa.Index("ix_audit_events_action_at", "action", "at"),
        sa.Index("ix_audit_events_actor_at", "actor_id", "at"),
        sa.Index("ix_audit_events_target", "target_type", "target_id"),
        # The log page's address and target filters, newest first (migration 09c4c6adce2c).
        sa.Index("ix_audit_events_address_at", "address", "at"),
        sa.Index("ix_audit_events_target_label_at", "target_label", "at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The actor's id and, copied, their username: the record still reads right if the account changes.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(80), default="")
    # Dotted verb, e.g. "auth.login", "user.deactivate", "export.region" (lms.audit.services.ACTIONS).
    action: Mapped[str] = mapped_column(sa.String(60))
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    target_label: Mapped[str] = mapped_column(sa.String(300), default="")
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    # What changed, counts, filters: small JSON, never a password or a token.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

"""Notifications keep their kind and parameters, not text: the text is rendered in the reader's
language when shown (lms.notifications.texts)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The list page: one user's notifications newest first.
        sa.Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        # Daily events (due soon, overdue) are made once: the job inserts-or-ignores on this key.
        sa.UniqueConstraint("user_id", "once_key", name="uq_notifications_user_once_key"),
        # The digest job's query: notifications no digest has carried yet.
        sa.Index("ix_notifications_undigested", "digested_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # "submission_returned", "submission_accepted", "course_assigned", "due_soon", "overdue",
    # "certificate_issued", "reminder" (lms.notifications.texts.KINDS).
    kind: Mapped[str] = mapped_column(sa.String(40))
    # The text's parameters (titles, dates as ISO strings, a comment): small JSON.
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # A path inside the app (no host, no script root): where the notification leads.
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    once_key: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a digest mail carried it, or it was settled otherwise (mailed at once, email off).
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationDigest(db.Model):
    """One row per user and school day a digest went out: the daily job inserts-or-ignores it
    first, so two runs (even at once) never mail the same person twice on one day."""

    __tablename__ = "notification_digests"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "day", name="uq_notification_digests_user_kind_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    # "digest" (a candidate's notifications) or "weekly" (a coordinator's summary, keyed on its Monday).
    kind: Mapped[str] = mapped_column(sa.String(12), default="digest")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[int] = mapped_column(default=0)


class Reminder(db.Model):
    """A reminder a coordinator sent to a candidate from the at-risk lists."""

    __tablename__ = "reminders"
    __table_args__ = (
        # The candidate's drill-down: reminders sent to them, newest first.
        sa.Index("ix_reminders_user_created", "user_id", "created_at"),
        # The rate limit: how many a coordinator sent in the last hour.
        sa.Index("ix_reminders_sender_created", "sender_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Copied: the record still reads right if the sender's account changes or goes.
    sender_name: Mapped[str] = mapped_column(sa.String(200), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

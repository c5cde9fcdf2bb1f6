"""Attendance: one mark per participant and seminar session, whoever made it and however."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db

STATUSES = ("present", "late", "absent", "excused")
ATTENDED = ("present", "late")
SOURCES = ("list", "qr")


class Attendance(db.Model):
    """A participant's mark for one session. A later mark replaces the earlier one (the row is
    updated, never duplicated); `client_id` is the key the phone's offline queue sends with a mark,
    so the same mark sent twice (a retry after a lost answer) is recognised and not applied again."""

    __tablename__ = "seminar_attendance"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id", name="uq_seminar_attendance_session_user"),
        sa.CheckConstraint(
            "status IN ('present', 'late', 'absent', 'excused')", name="ck_seminar_attendance_status"
        ),
        # The participant's own attendance across a seminar (their "My seminar" page).
        sa.Index("ix_seminar_attendance_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("seminar_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(10), default="list")
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    marked_by: Mapped[User | None] = relationship(foreign_keys=[marked_by_id])

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED

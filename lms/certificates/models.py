"""A completion is recorded once per candidate and course; its certificate is issued once with it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.content.models import Course
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class CourseCompletion(db.Model):
    """The day a candidate met their course's completion rule. Never deleted by a recomputation."""

    __tablename__ = "course_completions"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", name="uq_course_completions_user_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a recomputation (an undone item, changed content, a regrade) finds the rule no longer
    # met; cleared when it is met again. The completion and its certificate stay either way.
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    certificate: Mapped[Certificate | None] = relationship(back_populates="completion", uselist=False)


class Certificate(db.Model):
    """What the PDF shows, fixed when it is issued: later renames or regrades do not rewrite it."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_completions.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    # secrets.token_urlsafe(15): 120 random bits in 20 characters.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_on: Mapped[datetime] = mapped_column(UTCDateTime)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    course_title: Mapped[str] = mapped_column(sa.String(300))
    hours: Mapped[float | None] = mapped_column(sa.Float)
    # [{"label", "score", "best"}] from exercises' report, in course order.
    scores: Mapped[list] = mapped_column(sa.JSON, default=list)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    completion: Mapped[CourseCompletion] = relationship(back_populates="certificate")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class VerifyLookup(db.Model):
    """One look-up on the public verification page, counted per client address to rate-limit it
    across workers (a counter in memory would be one per worker)."""

    __tablename__ = "certificate_lookups"
    __table_args__ = (sa.Index("ix_certificate_lookups_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

"""A seminar, the cohorts and regions invited to it, and its programme: days of sessions, each
with its materials and the course items that prepare for it or follow it up."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.content.models import Course
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db

RELATIONS = ("prepare", "follow_up", "survey")


class Seminar(db.Model):
    """One event (usually several days at one venue), keyed like a course by a stable slug."""

    __tablename__ = "seminars"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    venue: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    # IANA name; session times are stored in UTC and shown in the reader's zone or this one.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Moscow")
    # The Markdown as written (file or browser) and its HTML through the content pipeline.
    summary_md: Mapped[str] = mapped_column(sa.Text, default="")
    summary_html: Mapped[str] = mapped_column(sa.Text, default="")
    # The Markdown file it was imported from; None: made in the browser.
    source_path: Mapped[str | None] = mapped_column(sa.String(500))
    # The imported file's SHA-256: an unchanged file is skipped. Cleared by any change made in the
    # browser, so that the next import applies the file again.
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Attendance counts toward completing the seminar when set: the share of sessions attended,
    # in percent (lms.seminars.attendance_share.attendance_summary); None: no requirement.
    attendance_required_percent: Mapped[int | None] = mapped_column(sa.Integer)

    invites: Mapped[list[SeminarInvite]] = relationship(
        back_populates="seminar", cascade="all, delete-orphan", order_by="SeminarInvite.id"
    )
    sessions: Mapped[list[SeminarSession]] = relationship(
        back_populates="seminar",
        cascade="all, delete-orphan",
        order_by="(SeminarSession.day, SeminarSession.position, SeminarSession.id)",
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def day_count(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class SeminarInvite(db.Model):
    """A cohort or a whole region invited (exactly one of the two is set)."""

    __tablename__ = "seminar_invites"
    __table_args__ = (
        # One invitation per cohort and per region: partial indexes, as NULLs never clash.
        sa.Index(
            "uq_seminar_invites_cohort",
            "seminar_id",
            "cohort_id",
            unique=True,
            sqlite_where=sa.text("cohort_id IS NOT NULL"),
            postgresql_where=sa.text("cohort_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_seminar_invites_region",
            "seminar_id",
            "region_id",
            unique=True,
            sqlite_where=sa.text("region_id IS NOT NULL"),
            postgresql_where=sa.text("region_id IS NOT NULL"),
        ),
        sa.CheckConstraint(
            "(cohort_id IS NULL) <> (region_id IS NULL)", name="ck_seminar_invites_one_target"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(sa.ForeignKey("seminars.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    # A region's code (regions are keyed by their two-digit code).
    region_id: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)

    seminar: Mapped[Seminar] = relationship(back_populates="invites")


class SeminarSession(db.Model):
    """One slot of the programme, on one day of the seminar."""

    __tablename__ = "seminar_sessions"
    __table_args__ = (
        sa.UniqueConstraint("seminar_id", "key", name="uq_seminar_sessions_seminar_key"),
        sa.Index("ix_seminar_sessions_seminar_day", "seminar_id", "day", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(sa.ForeignKey("seminars.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(80))
    day: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str] = mapped_column(sa.String(200), default="")
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    topics: Mapped[list] = mapped_column(sa.JSON, default=list)
    description_md: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"name": ..., "role": ...}]
    speakers: Mapped[list] = mapped_column(sa.JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    seminar: Mapped[Seminar] = relationship(back_populates="sessions")
    materials: Mapped[list[SessionMaterial]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionMaterial.id"
    )
    links: Mapped[list[SessionLink]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionLink.id"
    )


class SessionMaterial(db.Model):
    """A file handed out for a session, kept in the app's storage (lms.core.storage)."""

    __tablename__ = "seminar_materials"
    # The same file twice under one session is one material (a double submit, a second tab).
    __table_args__ = (
        sa.UniqueConstraint("session_id", "sha256", name="uq_seminar_materials_session_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("seminar_sessions.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    storage_key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[SeminarSession] = relationship(back_populates="materials")


class SessionLink(db.Model):
    """A course, module or item to do before a session (`prepare`), after it (`follow_up`), or a
    survey about it; due `due_days` from the session's start (prepare) or end (follow-up, survey)."""

    __tablename__ = "seminar_session_links"
    __table_args__ = (
        sa.UniqueConstraint(
            "session_id", "course_id", "module_key", "item_key", "relation", name="uq_seminar_session_links"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("seminar_sessions.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_key: Mapped[str | None] = mapped_column(sa.String(80))
    item_key: Mapped[str | None] = mapped_column(sa.String(80))
    relation: Mapped[str] = mapped_column(sa.String(12), default="prepare")
    due_days: Mapped[int] = mapped_column(default=0)

    session: Mapped[SeminarSession] = relationship(back_populates="links")
    course: Mapped[Course] = relationship()

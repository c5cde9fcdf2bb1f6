"""Scenario playthroughs and assignment submissions, with an append-only review history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Region, User
from lms.content.models import Lesson
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class ItemSnapshot(db.Model):
    """An exercise exactly as a candidate met it (scenario graph, rubric); never updated."""

    __tablename__ = "item_snapshots"
    __table_args__ = (sa.UniqueConstraint("item_id", "content_hash", name="uq_item_snapshots_item_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Playthrough(db.Model):
    __tablename__ = "playthroughs"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "item_id", "number", name="uq_playthroughs_user_item_number"),
        sa.Index(
            "ix_playthroughs_one_open",
            "user_id",
            "item_id",
            unique=True,
            sqlite_where=sa.text("finished_at IS NULL"),
            postgresql_where=sa.text("finished_at IS NULL"),
        ),
        sa.Index("ix_playthroughs_review", "review_status", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("item_snapshots.id"))
    number: Mapped[int] = mapped_column()
    # {"node", "path": [{"node", "reply", "free_text"?}], "scores", "finished", "ending"}
    state: Mapped[dict] = mapped_column(sa.JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ending: Mapped[str | None] = mapped_column(sa.String(80))
    passed: Mapped[bool | None] = mapped_column()
    # "none" | "pending" (free-text answers wait for an instructor) | "reviewed"
    review_status: Mapped[str] = mapped_column(sa.String(20), default="none")

    user: Mapped[User] = relationship()
    item: Mapped[Lesson] = relationship()
    snapshot: Mapped[ItemSnapshot] = relationship()


SUBMISSION_STATUSES = ("draft", "submitted", "in_review", "returned", "accepted")


class Submission(db.Model):
    """One candidate's work on one assignment, through drafts, reviews and resubmissions."""

    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "item_id", name="uq_submissions_user_item"),
        # A team assignment has one submission per region (NULL for individual work: never equal).
        sa.UniqueConstraint("item_id", "team_region_code", name="uq_submissions_item_team_region"),
        sa.Index("ix_submissions_queue", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("item_snapshots.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    text_md: Mapped[str] = mapped_column(sa.Text, default="")
    text_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change: a grading form posted against an older version is refused.
    version: Mapped[int] = mapped_column(default=1)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points: Mapped[int | None] = mapped_column()
    # Set for a team assignment (`team: region`): the region whose candidates share this work;
    # `user` is then the member who started the draft, not its only author.
    team_region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    team_region: Mapped[Region | None] = relationship()
    item: Mapped[Lesson] = relationship()
    snapshot: Mapped[ItemSnapshot] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[ReviewEvent]] = relationship(
        back_populates="submission", order_by="ReviewEvent.id", cascade="all, delete-orphan"
    )
    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="submission", order_by="Contribution.id", cascade="all, delete-orphan"
    )


class Attachment(db.Model):
    __tablename__ = "submission_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class ReviewEvent(db.Model):
    """Append-only history: every submission, claim, return and acceptance, with its rubric."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    playthrough_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("playthroughs.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # {criterion: points} and {criterion: comment} for grading actions
    scores: Mapped[dict | None] = mapped_column(sa.JSON)
    criterion_comments: Mapped[dict | None] = mapped_column(sa.JSON)
    points: Mapped[int | None] = mapped_column()
    # The text as it was when submitted, so later edits never rewrite what was graded.
    text_md: Mapped[str | None] = mapped_column(sa.Text)

    submission: Mapped[Submission | None] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Contribution(db.Model):
    """Who changed a team's shared draft, when, and by how many words (append-only)."""

    __tablename__ = "submission_contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(20))  # saved | submitted | resubmitted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column()  # the submission's version this save produced
    words_before: Mapped[int] = mapped_column(default=0)
    words_after: Mapped[int] = mapped_column(default=0)
    words_added: Mapped[int] = mapped_column(default=0)
    words_removed: Mapped[int] = mapped_column(default=0)
    files_added: Mapped[int] = mapped_column(default=0)
    files_removed: Mapped[int] = mapped_column(default=0)

    submission: Mapped[Submission] = relationship(back_populates="contributions")
    user: Mapped[User | None] = relationship()

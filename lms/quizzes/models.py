"""Quiz attempts. The quiz itself is a content item (Lesson, kind "quiz") whose payload holds its
policy and questions; every served question is pinned to an immutable QuestionVersion."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class QuestionVersion(db.Model):
    """A question exactly as it was served: prompt, options, key and feedback, rendered HTML included.

    Rows are never updated; an edited question gets a new row, so old attempts keep what they saw.
    """

    __tablename__ = "question_versions"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "question_key", "content_hash", name="uq_question_versions_content"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(sa.String(80))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(20))
    data: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "quiz_id", "number", name="uq_quiz_attempts_user_quiz_number"),
        # At most one open attempt per candidate and quiz, whatever two tabs try.
        sa.Index(
            "ix_quiz_attempts_one_open",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=sa.text("submitted_at IS NULL"),
            postgresql_where=sa.text("submitted_at IS NULL"),
        ),
        sa.Index("ix_quiz_attempts_quiz_submitted", "quiz_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    # The quiz's content hash when the attempt started, and the policy then in force.
    quiz_hash: Mapped[str] = mapped_column(sa.String(64))
    policy: Mapped[dict] = mapped_column(sa.JSON)
    # Served order: [{"version_id": 1, "key": "q1", "options": ["b", "a"]}, ...]
    layout: Mapped[list] = mapped_column(sa.JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_deadline: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None] = mapped_column(sa.Float)
    max_score: Mapped[float] = mapped_column(sa.Float, default=0)
    percent: Mapped[float | None] = mapped_column(sa.Float)
    passed: Mapped[bool | None] = mapped_column()

    user: Mapped[User] = relationship()
    quiz: Mapped[Lesson] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptAnswer.id"
    )

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class AttemptAnswer(db.Model):
    """The latest saved response to one question of one attempt (autosave overwrites it)."""

    __tablename__ = "quiz_attempt_answers"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "question_key", name="uq_quiz_attempt_answers_question"),
        sa.Index("ix_quiz_attempt_answers_version", "question_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    question_key: Mapped[str] = mapped_column(sa.String(80))
    response: Mapped[object | None] = mapped_column(sa.JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Filled at submission: share of the question's points earned (0..1).
    credit: Mapped[float | None] = mapped_column(sa.Float)
    # Set by an explicit regrade: the version whose answer key graded `credit`, when it is not the
    # served one (the served version stays, so the candidate's question is kept as they saw it).
    graded_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_versions.id", ondelete="SET NULL")
    )

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    version: Mapped[QuestionVersion] = relationship(foreign_keys=[question_version_id])


class RegradeFlag(db.Model):
    """An import changed what grading reads of a question (its key, points or type) while attempts
    had answered an older version: staff review it and regrade explicitly, nothing happens silently.

    One open flag per quiz and question; a regrade resolves it (who and when stay on the row).
    """

    __tablename__ = "quiz_regrade_flags"
    __table_args__ = (sa.Index("ix_quiz_regrade_flags_quiz_open", "quiz_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(sa.String(80))
    # The version whose key differs from what earlier attempts were graded by.
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id", ondelete="CASCADE"))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

"""Survey answers. The survey itself is a content item (Lesson, kind "survey") whose payload holds
its questions, rendered at import.

Two tables, never linked: `survey_participations` says only that someone answered (so nobody
answers twice), `survey_responses` holds the answers. An anonymous survey's response carries no
user, no time finer than the day and a random key, so no column, id order or timestamp ties it
to a participation or a person. (Both tables are WITHOUT ROWID on SQLite, whose hidden rowid
would count insertions. On PostgreSQL the system columns xmin and ctid are written by the database
itself; they are never read or shown, and only someone with direct database access could use them.)
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


def random_key() -> str:
    """A random UUID: insertion order cannot be read from it (a sequence id would give it away)."""
    return str(uuid.uuid4())


class SurveyParticipation(db.Model):
    """That a user answered a survey: the key is the pair itself, so a double click or a second tab
    makes one row. No id and no time, nothing to line up with a response."""

    __tablename__ = "survey_participations"
    # SQLite would add a hidden rowid counting insertions: an order to line up with the responses'.
    __table_args__ = {"sqlite_with_rowid": False}

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class SurveyResponse(db.Model):
    """One person's answers: {question key: scale point | option id | [option ids] | text}."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.Index("ix_survey_responses_survey_region", "survey_id", "region_code"),
        {"sqlite_with_rowid": False},  # stored in the order of the random key, no insertion count
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=random_key)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    # Named surveys only; always NULL for an anonymous survey.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The answerer's region when they answered: the results are filtered by it (an anonymous
    # survey's region groups under MIN_GROUP responses are never shown).
    region_code: Mapped[str | None] = mapped_column(sa.String(10))
    answered_on: Mapped[date] = mapped_column(sa.Date)  # the day only, in school time
    answers: Mapped[dict] = mapped_column(sa.JSON)

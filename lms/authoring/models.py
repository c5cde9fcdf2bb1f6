"""Drafts: the text an author is editing, kept in the database until publish writes it to disk."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db


class Draft(db.Model):
    """One unpublished version of one course file (`path`: posix, relative to COURSES_DIR)."""

    __tablename__ = "authoring_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(500), unique=True)
    # The course folder (the first part of `path`): the tree page and publish list a course's drafts.
    course_dir: Mapped[str] = mapped_column(sa.String(200), index=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # sha256 of the disk file when the draft began (or was last saved over it); None: a new file.
    base_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The draft removes the file (its item moved to another module): publish deletes it; `text` is "".
    removed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # +1 on each save; a save updates only the version it read, so two saves never both win.
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

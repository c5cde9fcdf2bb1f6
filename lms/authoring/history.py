"""History of published course files: every publish recorded (who, when, which files, hashes,
the full new text) and, when COURSES_DIR is a git work tree, committed with the instructor as
author. A file's versions can be compared and an earlier one restored as a new draft."""

from __future__ import annotations

import difflib
import logging
import os
import subprocess  # nosec B404  # git, with a fixed argument list and no shell
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring import drafts
from lms.authoring.files import courses_root, resolve, text_hash
from lms.authoring.models import Draft
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.extensions import db

log = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 30


class Publication(db.Model):
    """One publish of one course: who, when, and the git commit made of it (if any)."""

    __tablename__ = "authoring_publications"
    __table_args__ = (sa.Index("ix_authoring_publications_course_dir", "course_dir", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_dir: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    git_commit: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()
    files: Mapped[list[PublicationFile]] = relationship(
        back_populates="publication", cascade="all, delete-orphan", order_by="PublicationFile.path"
    )


class PublicationFile(db.Model):
    """One file of a publish with its full new text, so history and diffs work without git."""

    __tablename__ = "authoring_publication_files"
    __table_args__ = (sa.Index("ix_authoring_publication_files_path", "path", "publication_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        sa.ForeignKey("authoring_publications.id", ondelete="CASCADE")
    )
    path: Mapped[str] = mapped_column(sa.String(500))
    old_hash: Mapped[str | None] = mapped_column(sa.String(64))  # None: the publish created the file
    new_hash: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    # The text before the file's first recorded publish (files written with git before authoring
    # existed), so its first diff can be shown; later versions diff against the previous row.
    old_text: Mapped[str | None] = mapped_column(sa.Text)

    publication: Mapped[Publication] = relationship(back_populates="files")


def record_publish(user: User, course_dir: str, files: dict[str, tuple[str | None, str]]) -> Publication:
    """Record a publish of `files` ({rel: (old text or None, new text)}) and commit exactly those
    files to git with the user as author when COURSES_DIR is in a git work tree. Git trouble is
    logged, never raised: the files and the import are the publish, the commit is a copy."""
    publication = Publication(course_dir=course_dir, user_id=user.id, created_at=utcnow())
    db.session.add(publication)
    already = set(
        db.session.scalars(sa.select(PublicationFile.path).where(PublicationFile.path.in_(list(files))))
    )
    for rel, (old_text, new_text) in sorted(files.items()):
        publication.files.append(
            PublicationFile(
                path=rel,
                old_hash=text_hash(old_text) if old_text is not None else None,
                new_hash=text_hash(new_text),
                text=new_text,
                old_text=old_text if rel not in already else None,
            )
        )
    db.session.flush()
    if files:  # a publish of changes pulled from git writes no file: nothing to commit
        publication.git_commit = commit_to_git(user, course_dir, sorted(files))
        db.session.flush()
    return publication


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # nosec B603 B607  # fixed argv, paths validated by resolve()
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_SECONDS,
        env=env,
        check=False,
    )


def _author(user: User) -> str:
    name = " ".join((user.full_name or user.username).replace("<", "").replace(">", "").split())
    email = (user.email or f"{user.username}@users.lms.invalid").replace("<", "").replace(">", "")
    return f"{name or user.username} <{email}>"


def commit_to_git(user: User, course_dir: str, paths: list[str]) -> str | None:
    """Commit these course files (as they are on disk now) with the user as author; the commit
    hash, or None when COURSES_DIR is not in a git work tree or git fails (logged)."""
    root = courses_root()
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        env = dict(os.environ)
        if not _git(root, "config", "user.email").stdout.strip():
            # A server checkout often has no identity; the instructor is the author either way.
            env.setdefault("GIT_COMMITTER_NAME", "LMS")
            env.setdefault("GIT_COMMITTER_EMAIL", "lms@localhost")
        added = _git(root, "add", "--", *paths, env=env)
        if added.returncode != 0:
            log.warning("git add failed for a publish of %s: %s", course_dir, added.stderr.strip())
            return None
        message = f"Publish {course_dir}: {len(paths)} file(s) by {user.username}"
        committed = _git(
            root, "commit", "-q", "--author", _author(user), "-m", message, "--", *paths, env=env
        )
        if committed.returncode != 0:
            log.warning("git commit failed for a publish of %s: %s", course_dir, committed.stderr.strip())
            return None
        head = _git(root, "rev-parse", "HEAD")
        return head.stdout.strip() or None
    except (OSError, subprocess.SubprocessError) as error:  # git missing, hung, ...
        log.warning("git unavailable for a publish of %s: %s", course_dir, error)
        return None


@dataclass(frozen=True)
class Version:
    """One published version of a file, newest first in `file_history`."""

    row: PublicationFile
    publication: Publication
    number: int  # 1 = the first recorded publish of this file

    @property
    def changed(self) -> bool:
        return self.row.old_hash != self.row.new_hash


def file_history(rel: str) -> list[Version]:
    """Every recorded publish of one file, newest first."""
    rows = db.session.execute(
        sa.select(PublicationFile, Publication)
        .join(Publication, Publication.id == PublicationFile.publication_id)
        .where(PublicationFile.path == rel)
        .order_by(Publication.id.desc())
    ).all()
    total = len(rows)
    return [Version(row, publication, total - index) for index, (row, publication) in enumerate(rows)]


def get_version(file_id: int) -> PublicationFile | None:
    return db.session.get(PublicationFile, file_id)


def previous_text(row: PublicationFile) -> str | None:
    """The text this version replaced: the file's previous recorded version, else what was on
    disk before its first recorded publish (None: the publish created the file)."""
    earlier = db.session.scalar(
        sa.select(PublicationFile.text)
        .where(PublicationFile.path == row.path, PublicationFile.publication_id < row.publication_id)
        .order_by(PublicationFile.publication_id.desc())
        .limit(1)
    )
    return earlier if earlier is not None else row.old_text


@dataclass(frozen=True)
class DiffLine:
    """One row of a line diff: kept, removed or added text with its line numbers; or a gap."""

    kind: Literal["same", "del", "ins", "gap"]
    old_number: int | None
    new_number: int | None
    text: str


def diff_lines(old: str | None, new: str, *, context: int = 3) -> list[DiffLine]:
    """A line diff of two texts, unchanged stretches cut to `context` lines around each change."""
    before, after = (old or "").splitlines(), new.splitlines()
    rows: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if rows:
            rows.append(DiffLine("gap", None, None, ""))
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                rows.extend(DiffLine("same", a1 + i + 1, b1 + i + 1, before[a1 + i]) for i in range(a2 - a1))
                continue
            rows.extend(DiffLine("del", a1 + i + 1, None, before[a1 + i]) for i in range(a2 - a1))
            rows.extend(DiffLine("ins", None, b1 + i + 1, after[b1 + i]) for i in range(b2 - b1))
    return rows


def restore_as_draft(row: PublicationFile, token: str, user: User) -> Draft:
    """Make this earlier version the file's draft (never a disk write): a save over the editor's
    state named by `token` (EditConflict when the file or its draft moved on since), or a new
    draft when the file is gone from disk and has no draft. Audited."""
    state = drafts.open_for_edit(row.path)
    if state.source == "new":
        if token != state.token:
            raise drafts.EditConflict(row.path, row.text, state.text, state.disk_text)
        draft = drafts.create_draft(row.path, row.text, user)
    else:
        draft = drafts.save_draft(row.path, row.text, token, user)
    record(
        "authoring.restore",
        actor=user,
        target_type="course_file",
        target_label=row.path,
        details={"path": row.path, "version": row.id, "hash": row.new_hash},
    )
    db.session.flush()
    return draft


def editor_token(rel: str) -> str:
    """The token a restore form carries: the file's state when the history page was shown."""
    resolve(rel)
    return drafts.open_for_edit(rel).token

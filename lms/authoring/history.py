"""History of published course files: every publish recorded (who, when, which files, hashes,
the full new text) and, when COURSES_DIR is a git work tree, committed with the instructor as
author. A file's versions can be compared and an earlier one restored as a new draft."""

from __future__ import annotations

import difflib
import logging
import os
import subprocess  # nosec B404  # git, with a fixed argument list and no shell
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring import drafts
from lms.authoring.files import courses_root, resolve, text_hash
from lms.authoring.models import Draft
from lms.core.errors import ValidationError
from lms.core.models import UTCDateTime
from lms.core.time import utcnow
from lms.core.transactions import after_commit
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
    # Stored, not yet in git: the git commit runs after the database commit (commit_pending).
    git_pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

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
    # The publish removed the file (an item moved to another module): `text` is "", and so is the
    # text its `new_hash` is of.
    removed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    publication: Mapped[Publication] = relationship(back_populates="files")


def record_publish(
    user: User, course_dir: str, files: dict[str, tuple[str | None, str | None]]
) -> Publication:
    """Record a publish of `files` ({rel: (old text or None, new text or None: removed)}) in the caller's
    transaction. Git waits for its commit: when COURSES_DIR is in a git work tree the row is marked
    `git_pending`, and `commit_pending` (run after the commit) puts its texts into git."""
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
                new_hash=text_hash(new_text or ""),
                text=new_text or "",
                old_text=old_text if rel not in already else None,
                removed=new_text is None,
            )
        )
    # A publish of changes pulled from git writes no file: nothing to commit.
    publication.git_pending = bool(files) and in_git_work_tree()
    db.session.flush()
    return publication


def _git(
    root: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(  # nosec B603 B607  # fixed argv, paths validated by resolve()
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_SECONDS,
        env=env,
        input=stdin,
        check=False,
    )


def _author(user: User | None) -> str:
    if user is None:  # the instructor's account was deleted since
        return "LMS <lms@localhost>"
    name = " ".join((user.full_name or user.username).replace("<", "").replace(">", "").split())
    email = (user.email or f"{user.username}@users.lms.invalid").replace("<", "").replace(">", "")
    return f"{name or user.username} <{email}>"


def in_git_work_tree() -> bool:
    """Whether COURSES_DIR is inside a git work tree (False when git is missing or hangs)."""
    try:
        inside = _git(courses_root(), "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.SubprocessError):
        return False
    return inside.returncode == 0 and inside.stdout.strip() == "true"


class GitFailed(Exception):
    """A git command of a publication's commit failed: the publication stays pending."""


def _checked(done: subprocess.CompletedProcess, what: str) -> str:
    if done.returncode != 0:
        raise GitFailed(f"git {what}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def _trailer(publication_id: int) -> str:
    return f"LMS-Publication: {publication_id}"


def commit_to_git(publication: Publication) -> str | None:
    """Commit the publication's recorded texts on top of HEAD with its instructor as author, hooks
    and all; the new HEAD, or None when the texts already are HEAD's. The texts come from the row,
    not the disk, so a later publish that overwrote a file cannot leak into this commit. Only the
    index entries of its files are brought up to the commit; the work tree is never touched.
    Raises GitFailed (or OSError, SubprocessError): HEAD and the index are then as they were."""
    root = courses_root()
    env = dict(os.environ)
    if not _git(root, "config", "user.email").stdout.strip():
        # A server checkout often has no identity; the instructor is the author either way.
        env.setdefault("GIT_COMMITTER_NAME", "LMS")
        env.setdefault("GIT_COMMITTER_EMAIL", "lms@localhost")
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD").stdout.strip()  # "": no commit yet
    if head and _trailer(publication.id) in _git(root, "log", "-1", "--format=%B", head).stdout.splitlines():
        return head  # committed before, but the row's update was lost: nothing to do twice
    prefix = _checked(_git(root, "rev-parse", "--show-prefix"), "rev-parse")  # COURSES_DIR in the repo
    paths = [prefix + row.path for row in publication.files]
    with tempfile.TemporaryDirectory(prefix="lms-publish-") as scratch:
        # A private index: the shared one (and anything staged in it) is left alone until the commit.
        env["GIT_INDEX_FILE"] = str(Path(scratch) / "index")
        if head:
            _checked(_git(root, "read-tree", head, env=env), "read-tree")
        for path, row in zip(paths, publication.files, strict=True):
            if row.removed:
                _checked(_git(root, "update-index", "--force-remove", path, env=env), "update-index")
                continue
            written = _git(root, "hash-object", "-w", "--stdin", env=env, stdin=row.text)
            blob = _checked(written, "hash-object")
            _checked(
                _git(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env),
                "update-index",
            )
        tree = _checked(_git(root, "write-tree", env=env), "write-tree")
        if head and tree == _git(root, "rev-parse", f"{head}^{{tree}}").stdout.strip():
            return None  # git already holds these texts: an empty commit would say nothing
        who = publication.user.username if publication.user else "?"
        message = (
            f"Publish {publication.course_dir}: {len(paths)} file(s) by {who}\n\n{_trailer(publication.id)}\n"
        )
        author = _author(publication.user)
        _checked(_git(root, "commit", "-q", "--author", author, "-F", "-", env=env, stdin=message), "commit")
    new_head = _checked(_git(root, "rev-parse", "HEAD"), "rev-parse")
    synced = _git(root, "reset", "-q", "--", *[f":(top){path}" for path in paths])
    if synced.returncode != 0:  # the commit stands; `git status` shows the files staged back until a reset
        log.warning("git reset of the published files failed: %s", synced.stderr.strip())
    return new_head


def commit_pending() -> int:
    """Commit every publication still waiting for git, oldest first; the number committed.

    Runs after a publish's database commit (and as `flask lms publish-git`), in a session of its
    own, one transaction per publication: the row is claimed by an UPDATE (PostgreSQL's row lock,
    SQLite's write lock), so two runs at once commit each publication once and in order. A git
    failure is logged and stops the run: that publication and the later ones stay pending for the
    next publish or command."""
    if not in_git_work_tree():
        return 0
    done = 0
    with Session(db.engine) as session:
        pending = session.scalars(
            sa.select(Publication.id).where(Publication.git_pending.is_(True)).order_by(Publication.id)
        ).all()
        session.rollback()
        for publication_id in pending:
            try:
                with session.begin():
                    claimed = session.execute(
                        sa.update(Publication)
                        .where(Publication.id == publication_id, Publication.git_pending.is_(True))
                        .values(git_pending=False)
                    )
                    if claimed.rowcount != 1:
                        continue  # another run committed it meanwhile
                    publication = session.get(Publication, publication_id)
                    publication.git_commit = commit_to_git(publication)
            except (GitFailed, OSError, subprocess.SubprocessError) as error:
                log.warning("git commit of publication %s is pending: %s", publication_id, error)
                return done
            done += 1
    return done


def commit_pending_after_commit() -> None:
    """Let the transaction's commit run `commit_pending`: git never holds what the database lost."""
    after_commit(commit_pending, "git commit of a publish")


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
    draft when the file is gone from disk and has no draft. Audited. A removal has no text to
    restore: ValidationError."""
    if row.removed:
        raise ValidationError("removed", _l("This version removed the file: there is no text to restore."))
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

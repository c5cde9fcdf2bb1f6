"""Drafts: save at any time (even with lint errors), never touching disk; conflicts refused.

The editor carries a `token` from `open_for_edit`: a hash of the text it showed and of the disk
file. A save whose token no longer matches (another tab or instructor saved, someone pushed to git)
raises `EditConflict` with both versions and overwrites nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring.files import course_of, courses_root, read_disk, resolve, text_hash
from lms.authoring.models import Draft
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.extensions import db

DEFAULT_MAX_FILE_BYTES = 512 * 1024


@dataclass
class EditorState:
    """What the editor shows for one file, and the token its save must send back."""

    rel: str
    text: str
    token: str
    source: Literal["draft", "disk", "new"]
    disk_changed: bool
    disk_text: str | None
    removed: bool = False  # the draft removes the file (its item moved to another module)


class EditConflict(Exception):
    """A save or publish refused because the file moved on since the editor opened it."""

    def __init__(self, rel: str, mine: str, theirs: str, disk: str | None) -> None:
        super().__init__(rel)
        self.rel = rel
        self.mine = mine
        self.theirs = theirs
        self.disk = disk


def normalise(text: str) -> str:
    """Browsers send textarea lines ending in CRLF; files keep LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def make_token(text: str, disk_hash: str | None) -> str:
    return hashlib.sha256(f"{text_hash(text)}:{disk_hash or ''}".encode()).hexdigest()


def get_draft(rel: str) -> Draft | None:
    return db.session.scalar(sa.select(Draft).where(Draft.path == rel))


def _state(rel: str, draft: Draft | None) -> EditorState:
    disk_text, disk_hash = read_disk(rel)
    removed = draft is not None and draft.removed
    if draft is not None:
        text, source = ("" if removed else draft.text), "draft"
        disk_changed = draft.base_hash != disk_hash
    elif disk_text is not None:
        text, source, disk_changed = disk_text, "disk", False
    else:
        text, source, disk_changed = "", "new", False
    return EditorState(
        rel=rel,
        text=text,
        token=make_token(text, disk_hash),
        source=source,  # type: ignore[arg-type]
        disk_changed=disk_changed,
        disk_text=disk_text,
        removed=removed,
    )


def open_for_edit(rel: str) -> EditorState:
    """The draft's text if there is one, else the disk's (PathRefused for a path outside)."""
    resolve(rel)
    return _state(rel, get_draft(rel))


def max_file_bytes() -> int:
    """The largest course file a draft may hold (config AUTHORING_MAX_FILE_BYTES)."""
    return int(current_app.config.get("AUTHORING_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def _check_size(text: str) -> None:
    limit = max_file_bytes()
    if len(text.encode("utf-8")) > limit:
        raise ValidationError(
            "too_large",
            _l("The file is larger than %(size)s KiB; split it.", size=limit // 1024),
            field="text",
        )


def _conflict(rel: str, mine: str) -> EditConflict:
    db.session.expire_all()
    state = _state(rel, get_draft(rel))
    return EditConflict(rel, mine, state.text, state.disk_text)


def save_draft(rel: str, text: str, token: str, user: User) -> Draft:
    """Save the editor's text as the file's draft; EditConflict when `token` is stale.

    A save rebases the draft on the disk file as it is now: the token proved the editor had seen
    that disk version, so publish will not refuse it as changed underneath. A save over a removal
    draft keeps the file after all, with the text saved.
    """
    resolve(rel)
    text = normalise(text)
    _check_size(text)
    draft = get_draft(rel)
    state = _state(rel, draft)
    if token != state.token:
        if draft is not None and draft.text == text and not draft.removed:
            return draft  # the same text sent twice (a double click, a resent form): already saved
        raise EditConflict(rel, text, state.text, state.disk_text)
    _, disk_hash = read_disk(rel)
    draft = _write_draft(rel, draft, text=text, base_hash=disk_hash, removed=False, user=user)
    record(
        "authoring.save",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "version": draft.version, "bytes": len(text.encode("utf-8"))},
    )
    db.session.flush()
    return draft


def _write_draft(
    rel: str, draft: Draft | None, *, text: str, base_hash: str | None, removed: bool, user: User
) -> Draft:
    """Store the file's draft: a new row, or a compare-and-set on the version read, so that of two
    saves with the same token one wins. EditConflict when another tab got there first."""
    now = utcnow()
    if draft is None:
        draft = Draft(
            path=rel,
            course_dir=course_of(rel),
            text=text,
            base_hash=base_hash,
            removed=removed,
            version=1,
            updated_by_id=user.id,
            updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(draft)
        except IntegrityError:  # another tab made the draft first
            raise _conflict(rel, text) from None
        return draft
    updated = db.session.execute(
        sa.update(Draft)
        .where(Draft.id == draft.id, Draft.version == draft.version)
        .values(
            text=text,
            base_hash=base_hash,
            removed=removed,
            version=Draft.version + 1,
            updated_by_id=user.id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        raise _conflict(rel, text)
    db.session.refresh(draft)
    return draft


def create_draft(rel: str, text: str, user: User) -> Draft:
    """A draft of a file that does not exist yet (templates, new modules and courses)."""
    resolve(rel)
    text = normalise(text)
    _check_size(text)
    disk_text, _ = read_disk(rel)
    if disk_text is not None or get_draft(rel) is not None:
        raise ValidationError("exists", _l("A file with this name already exists."), field="path")
    draft = Draft(
        path=rel,
        course_dir=course_of(rel),
        text=text,
        base_hash=None,
        version=1,
        updated_by_id=user.id,
        updated_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(draft)
    except IntegrityError:
        raise ValidationError("exists", _l("A file with this name already exists."), field="path") from None
    record(
        "authoring.create",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "bytes": len(text.encode("utf-8"))},
    )
    db.session.flush()
    return draft


def remove_file(rel: str, token: str, user: User) -> None:
    """Mark the file removed in a draft (publish deletes it); EditConflict when `token` is stale.

    The removal is a draft like any other: based on the disk file as the token proved it was seen,
    so publish refuses it if the file changed since, and discarding it keeps the file. A file that
    exists only as a draft (never published) has nothing on disk to remove: its draft goes.
    """
    resolve(rel)
    draft = get_draft(rel)
    state = _state(rel, draft)
    if token != state.token:
        raise EditConflict(rel, "", state.text, state.disk_text)
    _, disk_hash = read_disk(rel)
    if disk_hash is None:
        if draft is None:
            raise ValidationError("missing", _l("The file %(path)s does not exist.", path=rel))
        deleted = db.session.execute(
            sa.delete(Draft)
            .where(Draft.id == draft.id, Draft.version == draft.version)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not deleted:
            raise _conflict(rel, "")
        db.session.expunge(draft)
    else:
        _write_draft(rel, draft, text="", base_hash=disk_hash, removed=True, user=user)
    record(
        "authoring.remove",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "published": disk_hash is not None},
    )
    db.session.flush()


def course_drafts(course_dir: str) -> list[Draft]:
    query = sa.select(Draft).where(Draft.course_dir == course_dir).order_by(Draft.path)
    return list(db.session.scalars(query))


def discard_draft(rel: str, user: User) -> bool:
    """Drop the file's draft (the disk version stays); False when there was none."""
    resolve(rel)
    removed = db.session.execute(sa.delete(Draft).where(Draft.path == rel)).rowcount
    if removed:
        record(
            "authoring.discard",
            actor=user,
            target_type="course_file",
            target_label=rel,
            details={"path": rel},
        )
    db.session.flush()
    return bool(removed)


@contextlib.contextmanager
def effective_tree(course_dir: str) -> Iterator[Path]:
    """A temporary courses root as the course would be if published now: the course folder copied
    with its drafts laid over it; the other courses linked in unchanged (ids and `requires` are
    checked across courses). Yields the root; the course is `root / course_dir`."""
    root = courses_root()
    resolve(f"{course_dir}/course.md")  # the course folder name is a plain name inside root
    with tempfile.TemporaryDirectory(prefix="lms-authoring-") as temp:
        tree = Path(temp)
        source = root / course_dir
        target = tree / course_dir
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            target.mkdir()
        if root.is_dir():
            for other in root.iterdir():
                if other.name != course_dir and other.is_dir() and not other.name.startswith("."):
                    (tree / other.name).symlink_to(other, target_is_directory=True)
        for draft in course_drafts(course_dir):
            path = tree / draft.path
            if draft.removed:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(draft.text, encoding="utf-8")
        yield tree

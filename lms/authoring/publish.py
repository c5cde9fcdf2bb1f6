"""Publish a course: lint clean, drafts written to disk, the course imported, all or nothing.

Learner data is the importer's business and stays so: `sync_course` applies the very rules of
`flask lms import` (progress kept on edits, removed items archived with their data, quizzes pinning
question versions). Files written here are undone if the import or the request's commit fails.
Git comes last: the publication's commit to git runs only once the database commit succeeded
(`history.commit_pending`), so a failed publish never reaches git and a failed git commit leaves
the publication stored and marked pending.
"""

from __future__ import annotations

from typing import Any

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring.drafts import EditConflict, course_drafts
from lms.authoring.files import courses_root, read_disk, write_atomically
from lms.authoring.history import commit_pending_after_commit, record_publish
from lms.authoring.services import check_course
from lms.content.problems import ContentError, Problem
from lms.content.sync import sync_course
from lms.core import jobs
from lms.core.transactions import undo_on_rollback
from lms.extensions import db


class PublishRefused(Exception):
    """The course does not lint clean (or the import refused it): nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def publish_course(course_dir: str, user: User) -> Any:
    """Write the course's drafts to disk and import the course in the caller's transaction;
    returns what `history.record_publish` made of it (its Publication row).

    Refuses with PublishRefused on any lint error of the effective tree, with EditConflict when a
    file changed on disk since its draft was based on it. With no drafts it imports the course as
    it is on disk (changes pulled from git)."""
    jobs.claim("import", wait=True)  # one import at a time school-wide (PostgreSQL)
    checked = check_course(course_dir)
    if checked.errors:
        raise PublishRefused(checked.errors)
    drafts = course_drafts(course_dir)
    files: dict[str, tuple[str | None, str | None]] = {}  # {rel: (old, new)}; new None: removed
    for draft in drafts:
        disk_text, disk_hash = read_disk(draft.path)
        if disk_hash != draft.base_hash:
            raise EditConflict(draft.path, draft.text, disk_text or "", disk_text)
        files[draft.path] = (disk_text, None if draft.removed else draft.text)
    undo = write_atomically({rel: new for rel, (_old, new) in files.items()})
    try:
        # A savepoint: a refusal keeps the draft its request may have saved (keep_writes) but
        # nothing the import may have flushed before refusing: never half-imported.
        with db.session.begin_nested():
            report = sync_course(courses_root(), course_dir, display_prefix="")
    except ContentError as error:
        undo()
        raise PublishRefused(error.problems) from None
    except BaseException:
        undo()
        raise
    # From here the files stand or fall with the transaction: a failed commit puts them back.
    undo_on_rollback(undo, f"publish {course_dir}")
    publication = record_publish(user, course_dir, files)
    commit_pending_after_commit()  # this publication's git commit, and any an earlier failure left
    for draft in drafts:
        db.session.delete(draft)
    record(
        "authoring.publish",
        actor=user,
        target_type="course_folder",
        target_label=course_dir,
        details={
            "course": course_dir,
            "files": sorted(files),
            "removed": sorted(rel for rel, (_old, new) in files.items() if new is None),
            "added": len(report.added),
            "changed": len(report.changed),
            "archived": len(report.archived),
        },
    )
    db.session.flush()
    return publication

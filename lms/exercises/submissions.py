"""A candidate's assignment work: the draft and its attached files, saved or submitted for
review, with every file checked first (one bad file and nothing is saved). Flush, never commit.

Individual work goes through `save_submission`; a team's shared draft (lms/exercises/team.py)
writes through the same `write_submission`. What the reviewer does next is grading's
(lms/exercises/grading.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.content.render import piece_id_prefix, render_markdown
from lms.core import storage
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.core.transactions import undo_on_rollback
from lms.exercises.models import Attachment, ReviewEvent, Submission
from lms.exercises.snapshots import lock_row, snapshot_for
from lms.exercises.teams import is_team_item
from lms.exercises.uploads import UploadRejected, check_upload
from lms.exercises.words import count_words, outside_limits
from lms.extensions import db

MAX_TEXT_LENGTH = 50_000
UPLOAD_REASONS = {
    "type": _l("this type of file is not accepted for this assignment"),
    "empty": _l("the file is empty"),
    "size": _l("the file is too large"),
    "content": _l("the file's content does not match its type"),
    "bomb": _l("the archive expands to an unreasonable size"),
    "macros": _l("files with macros are not accepted"),
}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def get_submission(user: User, item: Lesson) -> Submission | None:
    return db.session.scalar(
        sa.select(Submission).where(Submission.user_id == user.id, Submission.item_id == item.id)
    )


def live_attachments(submission: Submission) -> list[Attachment]:
    return [attachment for attachment in submission.attachments if attachment.removed_at is None]


def lock_submission(submission: Submission) -> None:
    """Lock the row until the transaction ends and read it afresh: the next change sees the last."""
    lock_row(Submission, submission.id)
    db.session.refresh(submission)


def save_submission(
    user: User,
    item: Lesson,
    *,
    text: str,
    uploads: list[Upload],
    remove_ids: list[int],
    submit: bool,
    expected_version: int | None = None,
) -> Submission:
    """Save a draft or submit. Every file is checked first: one bad file and nothing is saved.

    `expected_version` is the version the candidate's form was built from (1: the page showed no
    work yet, as a first save finds its new row); another one is refused, unless it is the same
    draft again. None checks nothing."""
    if is_team_item(item):  # its work is the region's (lms/exercises/team.py), never one person's
        raise ValidationError(
            "team", _l("This is a team assignment: your region's team works on it together.")
        )
    insert_or_ignore(
        Submission,
        {
            "user_id": user.id,
            "item_id": item.id,
            "snapshot_id": snapshot_for(item).id,
            "status": "draft",
            "text_md": "",
            "text_html": "",
            "version": 1,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        },
        ["user_id", "item_id"],
    )
    submission = db.session.execute(  # inserted above, or there already: exactly one
        sa.select(Submission).where(Submission.user_id == user.id, Submission.item_id == item.id)
    ).scalar_one()
    lock_row(Submission, submission.id)
    db.session.refresh(submission)
    if submit and _repeats_the_submit(submission, expected_version, text, uploads, remove_ids):
        return submission  # a double click's second request: the work went in with the first
    check_editable(submission)
    if expected_version is not None and expected_version != submission.version:
        if not submit and not uploads and not remove_ids and text == submission.text_md:
            return submission  # the same save again (a double click, a resent form): nothing to do
        raise ValidationError(
            "stale", _l("This work was changed in another tab. Reload the page and try again.")
        )
    return write_submission(
        submission, user, item, text=text, uploads=uploads, remove_ids=remove_ids, submit=submit
    )


def _repeats_the_submit(
    submission: Submission,
    expected_version: int | None,
    text: str,
    uploads: list[Upload],
    remove_ids: list[int],
) -> bool:
    """The form that submitted this work, sent again before anything else changed it: the same
    page's version, text and files. Answering "under review, cannot be changed" would tell the
    candidate, who sees the last reply of a double click, that their submit failed."""
    if submission.status != "submitted" or expected_version != submission.version - 1:
        return False
    if text != submission.text_md:
        return False
    live = live_attachments(submission)
    if any(attachment.id in remove_ids for attachment in live):
        return False
    added = sorted(a.sha256 for a in live if a.uploaded_at == submission.submitted_at)
    return sorted(hashlib.sha256(upload.data).hexdigest() for upload in uploads) == added


def check_editable(submission: Submission) -> None:
    """Only a draft or returned work may change; under review or accepted it is locked."""
    if submission.status not in ("draft", "returned"):
        raise ValidationError("locked", _l("The work is under review and cannot be changed now."))


def write_submission(
    submission: Submission,
    user: User,
    item: Lesson,
    *,
    text: str,
    uploads: list[Upload],
    remove_ids: list[int],
    submit: bool,
) -> Submission:
    """Check and write a locked, editable submission's text and files; submit it when asked.

    Shared by individual work and a team's draft (lms/exercises/team.py): one bad file and
    nothing is saved.
    """
    payload = item.payload or {}
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            "text_too_long",
            lazy_ngettext(
                "The text is too long (%(num)s character at most).",
                "The text is too long (%(num)s characters at most).",
                MAX_TEXT_LENGTH,
            ),
            field="text",
        )
    rules = payload.get("attachments")
    checked = []
    for upload in uploads:
        if rules is None:
            raise ValidationError("text_only", _l("This assignment accepts text only."), field="files")
        try:
            checked.append(
                (
                    check_upload(
                        upload.filename,
                        upload.data,
                        allowed=rules["types"],
                        max_bytes=rules["max_mb"] * 1024 * 1024,
                    ),
                    upload.data,
                )
            )
        except UploadRejected as error:
            raise ValidationError(
                "file_refused",
                _l("%(name)s: %(reason)s", name=upload.filename[:80], reason=UPLOAD_REASONS[error.code]),
                field="files",
            ) from None
    kept = [a for a in live_attachments(submission) if a.id not in set(remove_ids)]
    if rules is not None and len(kept) + len(checked) > rules["max_files"]:
        raise ValidationError(
            "too_many_files",
            lazy_ngettext("At most %(num)s file.", "At most %(num)s files.", rules["max_files"]),
            field="files",
        )
    if submit and not text.strip() and not kept and not checked:
        raise ValidationError(
            "nothing_to_submit", _l("Write your answer or attach a file before submitting."), field="text"
        )
    if submit:
        check_word_count(text, payload.get("words"))
    now = utcnow()
    for attachment in live_attachments(submission):
        if attachment.id in set(remove_ids):
            attachment.removed_at = now
    store = storage.attachments()
    for info, data in checked:
        stored = secrets.token_hex(16)
        # No orphan object if the submission is not stored; registered before the write.
        undo_on_rollback(partial(store.delete, stored), f"attachment {stored}")
        store.put(stored, data, info.content_type)
        submission.attachments.append(
            Attachment(
                filename=info.filename,
                stored_name=stored,
                kind=info.kind,
                size=info.size,
                sha256=hashlib.sha256(data).hexdigest(),
                uploaded_at=now,
            )
        )
    submission.text_md = text
    submission.text_html = render_answer(text)
    submission.updated_at = now
    submission.version += 1
    if submit:
        resubmission = submission.status == "returned"
        submission.status = "submitted"
        submission.submitted_at = now
        submission.snapshot_id = snapshot_for(item).id
        submission.reviewer_id = None
        submission.claimed_at = None
        db.session.add(
            ReviewEvent(
                submission=submission,
                actor_id=user.id,
                action="resubmitted" if resubmission else "submitted",
                text_md=text,
            )
        )
    db.session.flush()
    return submission


def render_answer(text: str) -> str:
    """A candidate's Markdown as the sanitised HTML reviewers see (also the author's preview)."""
    # Ids of its own: it is shown beside the assignment's text, whose headings may be the same.
    return render_markdown(text, id_prefix=piece_id_prefix("answer")).html if text.strip() else ""


def check_word_count(text: str, limits: dict | None) -> None:
    """Refuse a submitted answer whose words are outside the task's limits (drafts may be)."""
    count = count_words(text)
    problem = outside_limits(count, limits)
    if problem is None or limits is None:
        return
    if problem == "few":
        message = _l(
            "Too few words: %(count)s; this task needs at least %(min)s.", count=count, min=limits["min"]
        )
        raise ValidationError("too_few_words", message, field="text")
    message = _l(
        "Too many words: %(count)s; this task allows at most %(max)s.", count=count, max=limits["max"]
    )
    raise ValidationError("too_many_words", message, field="text")

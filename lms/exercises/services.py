"""Exercise operations: playthroughs step by step, submissions through review. Flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from lms.accounts.models import User
from lms.audit.services import record
from lms.content import signals as content_signals
from lms.content.models import Lesson
from lms.content.render import render_markdown
from lms.core import storage
from lms.core.db import insert_or_ignore, next_number
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.core.transactions import undo_on_rollback
from lms.exercises import rubric as rubric_rules
from lms.exercises import scenario as scenario_rules
from lms.exercises.models import Attachment, ItemSnapshot, Playthrough, ReviewEvent, Submission
from lms.exercises.teams import is_team_item, work_authors
from lms.exercises.uploads import UploadRejected, check_upload
from lms.exercises.words import count_words, outside_limits
from lms.extensions import db
from lms.notifications.services import notify_submission_graded, path_for
from lms.progress.services import complete_lesson, uncomplete_lesson

MAX_TEXT_LENGTH = 50_000
UPLOAD_REASONS = {
    "type": _l("this type of file is not accepted for this assignment"),
    "empty": _l("the file is empty"),
    "size": _l("the file is too large"),
    "content": _l("the file's content does not match its type"),
    "bomb": _l("the archive expands to an unreasonable size"),
    "macros": _l("files with macros are not accepted"),
}
# A claim older than this no longer stops another instructor from grading.
CLAIM_TIMEOUT = timedelta(minutes=30)


def snapshot_for(item: Lesson) -> ItemSnapshot:
    """The immutable copy of the item's current payload (created once per content hash)."""
    payload = item.payload or {}
    content_hash = payload.get("hash") or hashlib.sha256(repr(payload).encode()).hexdigest()
    insert_or_ignore(
        ItemSnapshot,
        {"item_id": item.id, "content_hash": content_hash, "payload": payload, "created_at": utcnow()},
        ["item_id", "content_hash"],
    )
    return db.session.scalar(
        sa.select(ItemSnapshot).where(
            ItemSnapshot.item_id == item.id, ItemSnapshot.content_hash == content_hash
        )
    )


# --- scenarios -------------------------------------------------------------------------------


def user_playthroughs(user: User, item: Lesson) -> list[Playthrough]:
    return list(
        db.session.scalars(
            sa.select(Playthrough)
            .where(Playthrough.user_id == user.id, Playthrough.item_id == item.id)
            .order_by(Playthrough.number)
        )
    )


def open_playthrough(user: User, item: Lesson) -> Playthrough | None:
    return db.session.scalar(
        sa.select(Playthrough).where(
            Playthrough.user_id == user.id, Playthrough.item_id == item.id, Playthrough.finished_at.is_(None)
        )
    )


def start_playthrough(user: User, item: Lesson) -> Playthrough:
    """Start a playthrough, or return the one in progress (a double click starts only one)."""
    existing = open_playthrough(user, item)
    if existing is not None:
        return existing
    snapshot = snapshot_for(item)
    number = next_number(Playthrough.number, Playthrough.user_id == user.id, Playthrough.item_id == item.id)
    now = utcnow()
    insert_or_ignore(
        Playthrough,
        {
            "user_id": user.id,
            "item_id": item.id,
            "snapshot_id": snapshot.id,
            "number": number,
            "state": scenario_rules.initial_state(snapshot.payload),
            "started_at": now,
            "updated_at": now,
            "review_status": "none",
        },
        None,  # any unique index: the same number, or another open one (two parallel clicks)
    )
    playthrough = open_playthrough(user, item)
    if playthrough is None:
        raise ValidationError(
            "try_again", _l("This was started in another tab at the same moment. Please try again.")
        )
    return playthrough


def _lock(model: type, row_id: int) -> None:
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())


def lock_submission(submission: Submission) -> None:
    """Lock the row until the transaction ends and read it afresh: the next change sees the last."""
    _lock(Submission, submission.id)
    db.session.refresh(submission)


def choose_reply(playthrough: Playthrough, step: int, reply_index: int, free_text: str | None = None) -> bool:
    """Apply one choice. A repeated or stale form (double click, other tab) changes nothing."""
    _lock(Playthrough, playthrough.id)
    db.session.refresh(playthrough)
    state = playthrough.state
    if playthrough.finished_at is not None or step != len(state.get("path", [])):
        return False
    payload = playthrough.snapshot.payload
    node = payload["nodes"][state["node"]]
    if not 0 <= reply_index < len(node["replies"]):
        raise ValidationError("no_reply", _l("Choose one of the replies."), field="reply")
    if node["replies"][reply_index].get("free"):
        free_text = (free_text or "").strip()
        if not free_text:
            raise ValidationError("reply_empty", _l("Write your reply."), field="free_text")
        if len(free_text) > 4000:
            raise ValidationError(
                "reply_too_long", _l("The reply is too long (4000 characters at most)."), field="free_text"
            )
    else:
        free_text = None
    new_state = scenario_rules.apply_choice(payload, state, reply_index, free_text)
    now = utcnow()
    playthrough.state = new_state
    playthrough.updated_at = now
    if new_state.get("finished"):
        playthrough.finished_at = now
        playthrough.ending = new_state.get("ending")
        playthrough.passed = scenario_rules.passes(payload, new_state)
        if any(step.get("free_text") for step in new_state.get("path", [])):
            playthrough.review_status = "pending"
        _update_scenario_completion(playthrough)
    db.session.flush()
    return True


def _update_scenario_completion(playthrough: Playthrough) -> None:
    """`counts: best` completes once any playthrough passes; `last` follows the latest one."""
    counts = playthrough.snapshot.payload.get("counts", "best")
    if playthrough.passed:
        complete_lesson(playthrough.user, playthrough.item)
    elif counts == "last":
        uncomplete_lesson(playthrough.user, playthrough.item)


def review_playthrough(playthrough: Playthrough, reviewer: User, comment: str) -> None:
    db.session.add(
        ReviewEvent(
            playthrough_id=playthrough.id, actor_id=reviewer.id, action="reviewed", comment=comment.strip()
        )
    )
    playthrough.review_status = "reviewed"
    db.session.flush()
    _audit_grading(
        "grading.review_playthrough",
        reviewer,
        playthrough.user,
        playthrough.item,
        {"playthrough": playthrough.id, "passed": bool(playthrough.passed)},
    )


def _audit_grading(action: str, reviewer: User, candidate: User, item: Lesson, details: dict) -> None:
    """The audit record of a grading step: the candidate is the target, the work in the details."""
    record(
        action,
        actor=reviewer,
        target=candidate,
        details={
            "candidate": candidate.username,
            "course": item.course.key,
            "item": item.key,
            "title": item.title,
            **details,
        },
    )


def playthrough_reviews(playthrough: Playthrough) -> list[ReviewEvent]:
    return list(
        db.session.scalars(
            sa.select(ReviewEvent)
            .where(ReviewEvent.playthrough_id == playthrough.id)
            .order_by(ReviewEvent.id)
        )
    )


# --- assignments -----------------------------------------------------------------------------


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
    """Save a draft or submit. Every file is checked first: one bad file and nothing is saved."""
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
    submission = get_submission(user, item)
    _lock(Submission, submission.id)
    db.session.refresh(submission)
    check_editable(submission)
    if expected_version is not None and expected_version != submission.version:
        raise ValidationError(
            "stale", _l("This work was changed in another tab. Reload the page and try again.")
        )
    return write_submission(
        submission, user, item, text=text, uploads=uploads, remove_ids=remove_ids, submit=submit
    )


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
    return render_markdown(text).html if text.strip() else ""


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


@dataclass
class ClaimResult:
    claimed: bool
    other: User | None = None
    since: datetime | None = None


def _held_by_other(submission: Submission, reviewer: User, now: datetime) -> bool:
    return (
        submission.reviewer_id is not None
        and submission.reviewer_id != reviewer.id
        and submission.claimed_at is not None
        and now - submission.claimed_at < CLAIM_TIMEOUT
    )


def claim_state(submission: Submission, reviewer: User) -> ClaimResult:
    """Who is grading the submission, as the grading page shows it: reading changes nothing."""
    if submission.status not in ("submitted", "in_review"):
        return ClaimResult(False)
    if _held_by_other(submission, reviewer, utcnow()):
        return ClaimResult(False, submission.reviewer, submission.claimed_at)
    return ClaimResult(submission.reviewer_id == reviewer.id and submission.status == "in_review")


def claim_submission(submission: Submission, reviewer: User, *, take_over: bool = False) -> ClaimResult:
    """Mark the submission as being graded by this reviewer, unless someone else holds it."""
    _lock(Submission, submission.id)
    db.session.refresh(submission)
    now = utcnow()
    if submission.status not in ("submitted", "in_review"):
        return ClaimResult(False)
    held = _held_by_other(submission, reviewer, now)
    if held and not take_over:
        return ClaimResult(False, submission.reviewer, submission.claimed_at)
    if submission.reviewer_id != reviewer.id or submission.status != "in_review":
        previous = submission.reviewer if held else None
        submission.reviewer_id = reviewer.id
        submission.claimed_at = now
        submission.status = "in_review"
        submission.version += 1
        db.session.add(
            ReviewEvent(
                submission=submission, actor_id=reviewer.id, action="taken_over" if held else "claimed"
            )
        )
        details: dict = {"submission": submission.id}
        if previous is not None:
            details["previous_reviewer"] = previous.username
        _audit_grading(
            "grading.take_over" if held else "grading.claim",
            reviewer,
            submission.user,
            submission.item,
            details,
        )
    else:
        submission.claimed_at = now
    db.session.flush()
    return ClaimResult(True)


def grade_submission(
    submission: Submission,
    reviewer: User,
    *,
    scores: dict[str, int],
    criterion_comments: dict[str, str],
    comment: str,
    decision: str,
    expected_version: int,
) -> Submission:
    """Return or accept with the rubric. A form based on an older version is refused, not merged."""
    _lock(Submission, submission.id)
    db.session.refresh(submission)
    if submission.version != expected_version:
        raise ValidationError(
            "stale",
            _l(
                "Someone else changed this submission while you were grading. "
                "Their grade is shown below; nothing of yours was saved."
            ),
        )
    if submission.status not in ("submitted", "in_review"):
        raise ValidationError("not_in_review", _l("This submission is no longer waiting for review."))
    if decision not in ("return", "accept"):
        raise ValidationError("no_decision", _l("Choose to return or to accept."), field="decision")
    payload = submission.snapshot.payload
    try:
        total, maximum = rubric_rules.score(payload["rubric"], scores)
    except ValueError:
        raise ValidationError(
            "scores_missing", _l("Choose a level for every criterion."), field="scores"
        ) from None
    if decision == "accept" and not rubric_rules.passed(payload, total):
        raise ValidationError(
            "below_pass_mark",
            _l("The points are below the pass mark: return it for rework."),
            field="decision",
        )
    if (
        decision == "return"
        and not comment.strip()
        and not any(v.strip() for v in criterion_comments.values())
    ):
        raise ValidationError(
            "comment_needed", _l("Say what to improve when returning the work."), field="comment"
        )
    submission.status = "accepted" if decision == "accept" else "returned"
    submission.points = total
    submission.version += 1
    submission.reviewer_id = reviewer.id
    submission.claimed_at = None
    db.session.add(
        ReviewEvent(
            submission=submission,
            actor_id=reviewer.id,
            action="accepted" if decision == "accept" else "returned",
            comment=comment.strip(),
            scores=dict(scores),
            criterion_comments={k: v.strip() for k, v in criterion_comments.items() if v.strip()},
            points=total,
        )
    )
    # A team's work counts for every member of the team, and every member hears of the grade.
    authors = work_authors(submission)
    item = submission.item
    for author in authors:
        if decision == "accept":
            complete_lesson(author, item)
        notify_submission_graded(
            author,
            accepted=decision == "accept",
            item_title=item.title,
            course_title=item.course.title,
            comment=comment,
            link=path_for("exercises.assignment", course_key=item.course.key, item_key=item.key),
        )
    db.session.flush()
    _audit_grading(
        "grading.accept" if decision == "accept" else "grading.return",
        reviewer,
        submission.user,
        submission.item,
        {
            "submission": submission.id,
            "points": total,
            "max_points": maximum,
            **({"team_region": submission.team_region_code} if submission.team_region_code else {}),
        },
    )
    return submission


def latest_grading(submission: Submission) -> ReviewEvent | None:
    for event in reversed(submission.events):
        if event.action in ("accepted", "returned"):
            return event
    return None


@content_signals.lessons_in_use.connect
def _exercises_with_work(_sender=None, *, lesson_ids: list[int]) -> set[int]:
    """Scenarios played and assignments worked on (even unfinished, never graded): an import
    archives them with their playthroughs and submissions instead of deleting them."""
    played = sa.select(Playthrough.item_id).where(Playthrough.item_id.in_(lesson_ids))
    worked = sa.select(Submission.item_id).where(Submission.item_id.in_(lesson_ids))
    return set(db.session.scalars(sa.union(played, worked)))

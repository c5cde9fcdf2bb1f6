"""The reviewer's side: claiming a submission (or taking it over), grading it with the rubric,
commenting on a finished playthrough, and the audit record of each step. Flush, never commit.

A grade completes the lesson and notifies every author of the work (a team's members too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.content.models import Lesson
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.exercises import rubric as rubric_rules
from lms.exercises.models import Playthrough, ReviewEvent, Submission
from lms.exercises.snapshots import lock_row
from lms.exercises.teams import work_authors
from lms.extensions import db
from lms.notifications.services import notify_submission_graded, path_for
from lms.progress.services import complete_lesson

# A claim older than this no longer stops another instructor from grading.
CLAIM_TIMEOUT = timedelta(minutes=30)


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
    lock_row(Submission, submission.id)
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
    lock_row(Submission, submission.id)
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

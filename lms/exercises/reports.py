"""What exercises tell other domains: each candidate's playthroughs and submissions, read-only, for
the coordinators' dashboards. Dashboards read exercises through these functions only, never
through the models."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.content.models import Lesson
from lms.exercises import scenario as scenario_rules
from lms.exercises.models import Attachment, Playthrough, ReviewEvent, Submission
from lms.exercises.services import latest_grading, live_attachments
from lms.extensions import db


def candidate_playthroughs(user_id: int) -> list[Playthrough]:
    """Every conversation of one candidate, newest first."""
    return list(
        db.session.scalars(
            sa.select(Playthrough)
            .where(Playthrough.user_id == user_id)
            .order_by(Playthrough.started_at.desc())
        )
    )


def candidate_submissions(user_id: int) -> list[Submission]:
    """Every assignment submission of one candidate, oldest change first."""
    return list(
        db.session.scalars(
            sa.select(Submission).where(Submission.user_id == user_id).order_by(Submission.updated_at)
        )
    )


def review_history(submission_ids: list[int]) -> list[ReviewEvent]:
    """The review events of these submissions, in the order they happened."""
    if not submission_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(ReviewEvent)
            .where(ReviewEvent.submission_id.in_(submission_ids))
            .order_by(ReviewEvent.id)
        )
    )


def submission_counts(user_ids: list[int]) -> dict[tuple[int, int], dict[str, int]]:
    """(candidate id, course id) -> {submission status: count}, for these candidates only."""
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for user_id, course_id, status, count in db.session.execute(
        sa.select(Submission.user_id, Lesson.course_id, Submission.status, sa.func.count())
        .join(Lesson, Lesson.id == Submission.item_id)
        .where(Submission.user_id.in_(user_ids))
        .group_by(Submission.user_id, Lesson.course_id, Submission.status)
    ):
        counts[(user_id, course_id)][status] = count
    return counts


@dataclass
class SubmissionReport:
    """One submission as a coordinator reads it: the task as the candidate met it, the latest
    grading and the files still attached."""

    submission: Submission
    payload: dict[str, Any]
    grading: ReviewEvent | None
    attachments: list[Attachment]


def candidate_submission(user_id: int, submission_id: int) -> SubmissionReport | None:
    """A submission of this candidate, or None (another candidate's is not there either)."""
    found = db.session.get(Submission, submission_id)
    if found is None or found.user_id != user_id:
        return None
    return SubmissionReport(found, found.snapshot.payload, latest_grading(found), live_attachments(found))


@dataclass
class PlaythroughReport:
    """A finished conversation with its debrief (path, scores, ending)."""

    playthrough: Playthrough
    payload: dict[str, Any]
    debrief: dict[str, Any]


def finished_playthrough(user_id: int, playthrough_id: int) -> PlaythroughReport | None:
    """A finished conversation of this candidate, or None (unfinished ones have no debrief yet)."""
    found = db.session.get(Playthrough, playthrough_id)
    if found is None or found.user_id != user_id or found.finished_at is None:
        return None
    payload = found.snapshot.payload
    return PlaythroughReport(found, payload, scenario_rules.debrief(payload, found.state))

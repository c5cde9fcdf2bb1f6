"""What exercises tell other domains: each candidate's playthroughs and submissions, read-only, for
the coordinators' dashboards. Dashboards read exercises through these functions only, never
through the models."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.exercises import scenario as scenario_rules
from lms.exercises.models import Attachment, Contribution, Playthrough, ReviewEvent, Submission
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


def _authored_by(user_id: int) -> sa.ColumnElement[bool]:
    """Submissions a candidate wrote: their own, and team work they started or saved."""
    contributed = sa.select(Contribution.submission_id).where(Contribution.user_id == user_id)
    return sa.or_(Submission.user_id == user_id, Submission.id.in_(contributed))


def candidate_submissions(user_id: int) -> list[Submission]:
    """Every assignment submission of one candidate (team work they wrote in too), oldest change first."""
    return list(
        db.session.scalars(sa.select(Submission).where(_authored_by(user_id)).order_by(Submission.updated_at))
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


# Built once: the region page asks for every page of its list.
_SUBMISSION_COUNTS = (
    sa.select(Submission.user_id, Lesson.course_id, Submission.status, sa.func.count())
    .join(Lesson, Lesson.id == Submission.item_id)
    .where(Submission.user_id.in_(sa.bindparam("user_ids", expanding=True)))
    .group_by(Submission.user_id, Lesson.course_id, Submission.status)
)


def submission_counts(user_ids: list[int]) -> dict[tuple[int, int], dict[str, int]]:
    """(candidate id, course id) -> {submission status: count}, for these candidates only."""
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    # Plain rows through Core: the ORM adds nothing to four columns but time.
    rows = db.session.connection().execute(_SUBMISSION_COUNTS, {"user_ids": list(user_ids)})
    for user_id, course_id, status, count in rows:
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
    found = db.session.scalar(
        sa.select(Submission).where(Submission.id == submission_id, _authored_by(user_id))
    )
    if found is None:
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


@dataclass(frozen=True)
class CompetencyScore:
    """One line of a certificate: a competency (or an accepted assignment) with its points."""

    label: str
    score: int
    best: int


def course_competency_scores(user_id: int, course_id: int) -> list[CompetencyScore]:
    """The candidate's scores in the course's voter-work exercises, in course order: for each live
    scenario, each competency from the best passed playthrough (else the best finished one); for
    each live assignment with an accepted submission, its rubric points out of the maximum."""
    items = db.session.scalars(
        sa.select(Lesson)
        .where(
            Lesson.course_id == course_id,
            Lesson.archived_at.is_(None),
            Lesson.kind.in_(("scenario", "assignment")),
        )
        .order_by(Lesson.position, Lesson.id)
    ).all()
    scores: list[CompetencyScore] = []
    for item in items:
        if item.kind == "scenario":
            scores.extend(_scenario_scores(user_id, item))
        else:
            scores.extend(_assignment_score(user_id, item))
    return scores


def _scenario_scores(user_id: int, item: Lesson) -> list[CompetencyScore]:
    finished = db.session.scalars(
        sa.select(Playthrough).where(
            Playthrough.user_id == user_id,
            Playthrough.item_id == item.id,
            Playthrough.finished_at.is_not(None),
        )
    ).all()
    if not finished:
        return []
    best = max(finished, key=lambda p: (bool(p.passed), sum(p.state.get("scores", {}).values()), p.id))
    debrief = scenario_rules.debrief(best.snapshot.payload, best.state)
    return [CompetencyScore(row["label"], int(row["score"]), int(row["best"])) for row in debrief["scores"]]


def _assignment_score(user_id: int, item: Lesson) -> list[CompetencyScore]:
    # A team's accepted work is every member's: the region's, or one the candidate wrote in.
    region = db.session.scalar(sa.select(User.region_code).where(User.id == user_id))
    mine = sa.or_(
        _authored_by(user_id),
        sa.and_(Submission.team_region_code.is_not(None), Submission.team_region_code == region),
    )
    accepted = db.session.scalar(
        sa.select(Submission)
        .where(mine, Submission.item_id == item.id, Submission.status == "accepted")
        .order_by(Submission.updated_at.desc())
        .limit(1)
    )
    if accepted is None or accepted.points is None:
        return []
    maximum = int(accepted.snapshot.payload.get("max_points") or accepted.points)
    return [CompetencyScore(item.title, int(accepted.points), maximum)]

"""Exercise operations: playthroughs step by step, submissions through review. Flush, never commit.

This module answers the importer's question of which items have learners' work (archive them,
not delete them), and is the package's one entry point for other domains: it re-exports the
operations of `playthroughs.py` (scenarios played step by step), `submissions.py` (assignment
drafts and files, submitted for review), `grading.py` (claim, grade, comment on a playthrough)
and `snapshots.py` (the item snapshot work is judged against).
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.content import signals as content_signals
from lms.exercises.grading import (
    CLAIM_TIMEOUT,
    ClaimResult,
    claim_state,
    claim_submission,
    grade_submission,
    latest_grading,
    playthrough_reviews,
    review_playthrough,
)
from lms.exercises.models import Playthrough, Submission
from lms.exercises.playthroughs import choose_reply, open_playthrough, start_playthrough, user_playthroughs
from lms.exercises.snapshots import snapshot_for
from lms.exercises.submissions import (
    MAX_TEXT_LENGTH,
    UPLOAD_REASONS,
    Upload,
    check_editable,
    check_word_count,
    get_submission,
    live_attachments,
    lock_submission,
    render_answer,
    save_submission,
    write_submission,
)
from lms.extensions import db

__all__ = [
    "CLAIM_TIMEOUT",
    "MAX_TEXT_LENGTH",
    "UPLOAD_REASONS",
    "ClaimResult",
    "Upload",
    "check_editable",
    "check_word_count",
    "choose_reply",
    "claim_state",
    "claim_submission",
    "get_submission",
    "grade_submission",
    "latest_grading",
    "live_attachments",
    "lock_submission",
    "open_playthrough",
    "playthrough_reviews",
    "render_answer",
    "review_playthrough",
    "save_submission",
    "snapshot_for",
    "start_playthrough",
    "user_playthroughs",
    "write_submission",
]


@content_signals.lessons_in_use.connect
def _exercises_with_work(_sender: object = None, *, lesson_ids: list[int]) -> set[int]:
    """Scenarios played and assignments worked on (even unfinished, never graded): an import
    archives them with their playthroughs and submissions instead of deleting them."""
    played = sa.select(Playthrough.item_id).where(Playthrough.item_id.in_(lesson_ids))
    worked = sa.select(Submission.item_id).where(Submission.item_id.in_(lesson_ids))
    return set(db.session.scalars(sa.union(played, worked)))

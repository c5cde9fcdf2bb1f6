"""Scenario playthroughs, step by step: start one (or find the open one), apply a choice, and
complete or undo the lesson when a playthrough ends. Flush, never commit.

The reviewer's comment on a finished playthrough is grading's (lms/exercises/grading.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.core.db import insert_or_ignore, next_number
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.exercises import scenario as scenario_rules
from lms.exercises.models import Playthrough
from lms.exercises.snapshots import lock_row, snapshot_for
from lms.extensions import db
from lms.progress.services import complete_lesson, uncomplete_lesson


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


def choose_reply(playthrough: Playthrough, step: int, reply_index: int, free_text: str | None = None) -> bool:
    """Apply one choice. A repeated or stale form (double click, other tab) changes nothing."""
    lock_row(Playthrough, playthrough.id)
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

"""What every change to a learner's work starts from: the item snapshot the work is judged
against, and the row lock that makes the next change see the last.

Playthroughs, submissions and grading all take both, so they live below the three of them.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from lms.content.models import Lesson
from lms.core.db import insert_or_ignore
from lms.core.time import utcnow
from lms.exercises.models import ItemSnapshot
from lms.extensions import db


def snapshot_for(item: Lesson) -> ItemSnapshot:
    """The immutable copy of the item's current payload (created once per content hash)."""
    payload = item.payload or {}
    content_hash = payload.get("hash") or hashlib.sha256(repr(payload).encode()).hexdigest()
    insert_or_ignore(
        ItemSnapshot,
        {"item_id": item.id, "content_hash": content_hash, "payload": payload, "created_at": utcnow()},
        ["item_id", "content_hash"],
    )
    return db.session.execute(  # inserted above, or there already: exactly one
        sa.select(ItemSnapshot).where(
            ItemSnapshot.item_id == item.id, ItemSnapshot.content_hash == content_hash
        )
    ).scalar_one()


class _Row(Protocol):
    id: Mapped[int]


def lock_row(model: type[_Row], row_id: int) -> None:
    """Lock the row until the transaction ends (SELECT ... FOR UPDATE)."""
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())

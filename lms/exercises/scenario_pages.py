"""The candidate's scenario pages (a step, the debrief): what they read, in one statement each.

As on the lesson page (`lms.progress.services.lesson_page`), one statement built once at import
reads the session's user together with the playthrough, the stamp of its scenario version and
its item's and course's titles, as plain columns. The join finds the playthrough only when it is
the user's own, so someone else's is not found, as before.

A playthrough plays an `ItemSnapshot`, which is never updated: its id and content hash key the
page's cached fragments (the voter's lines, the replies, the feedback) and the snapshot's
`Outline` (what the pages need besides HTML: the replies' order and kind, the pass rule, the
competencies). So a page whose fragments are cached reads no payload; `ScenarioContent` reads it,
in a statement of its own, only when a fragment or an outline has to be made.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content.models import Course, Lesson
from lms.exercises import scenario as scenario_rules
from lms.exercises.fields import SCENARIO_DEFAULTS
from lms.exercises.models import ItemSnapshot, Playthrough, ReviewEvent
from lms.extensions import db

MAX_OUTLINES = 1024  # per worker: an outline is a few kilobytes at most


@dataclass(frozen=True, slots=True)
class Competency:
    key: str
    label: str
    best: int
    min: int | None


@dataclass(frozen=True, slots=True)
class Outline:
    """A scenario version's plain facts, without its HTML: small, kept per worker by stamp."""

    feedback: str  # "immediate" | "end"
    replies: dict[str, tuple[tuple[int, bool], ...]]  # node → (index, free) of each reply, as written
    strong: dict[str, int]  # node → its strongest reply
    competencies: tuple[Competency, ...]
    rules: dict[str, Any]  # the part of the payload `scenario.passes` reads

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Outline:
        nodes = payload["nodes"]
        rule = payload.get("pass", SCENARIO_DEFAULTS["pass"])
        best = payload.get("best") or {}
        return cls(
            feedback=payload.get("feedback", "immediate"),
            replies={
                key: tuple((reply["index"], bool(reply.get("free"))) for reply in node["replies"])
                for key, node in nodes.items()
            },
            strong=dict(payload.get("strong_reply") or {}),
            competencies=tuple(
                Competency(c["key"], c["label"], best.get(c["key"], 0), rule["min"].get(c["key"]))
                for c in payload.get("competencies", [])
            ),
            rules={
                "pass": rule,
                "nodes": {key: {"key": key, "ending": node["ending"]} for key, node in nodes.items()},
            },
        )


_outlines: dict[tuple[int, str], Outline] = {}
_adding = threading.Lock()


class ScenarioContent:
    """The scenario version a playthrough plays: its outline, and its HTML for fragments that
    are not cached yet. The payload is read (one statement) only when one of them needs it."""

    def __init__(self, snapshot_id: int, content_hash: str) -> None:
        self.stamp = (snapshot_id, content_hash)

    @cached_property
    def payload(self) -> dict[str, Any]:
        payload = db.session.scalar(sa.select(ItemSnapshot.payload).where(ItemSnapshot.id == self.stamp[0]))
        return payload or {"nodes": {}}

    @cached_property
    def outline(self) -> Outline:
        outline = _outlines.get(self.stamp)
        if outline is None:
            outline = Outline.of(self.payload)
            with _adding:
                _outlines[self.stamp] = outline
                while len(_outlines) > MAX_OUTLINES:
                    _outlines.pop(next(iter(_outlines)))  # the oldest
        return outline

    def node_html(self, node: str | None) -> str:
        found = self.payload["nodes"].get(node) if node else None
        return found["html"] if found else ""

    def reply(self, node: str, index: int) -> dict[str, Any]:
        return self.payload["nodes"][node]["replies"][index]

    def strong_html(self, node: str, index: int) -> str:
        """The stronger reply's text, when `index` was not the strongest at `node`; else ""."""
        strong = self.outline.strong.get(node)
        return self.reply(node, strong)["html"] if strong is not None and strong != index else ""


@dataclass(frozen=True, slots=True)
class Review:
    comment: str
    reviewer: str
    created_at: datetime


@dataclass
class ScenarioPage:
    """A playthrough as its candidate's pages show it: the personal part, read every request."""

    playthrough_id: int
    state: dict[str, Any]
    finished: bool
    review_status: str
    titles: tuple[str, str, str, str]  # course key and title, item key and title: the breadcrumbs
    content: ScenarioContent
    reviews: list[Review]

    @property
    def course_key(self) -> str:
        return self.titles[0]

    @property
    def course_title(self) -> str:
        return self.titles[1]

    @property
    def item_key(self) -> str:
        return self.titles[2]

    @property
    def item_title(self) -> str:
        return self.titles[3]

    @property
    def path(self) -> list[dict[str, Any]]:
        return self.state.get("path", [])

    @property
    def step(self) -> int:
        return len(self.path)

    @property
    def node(self) -> str:
        return self.state["node"]

    @property
    def last_choice(self) -> tuple[str, int] | None:
        """The reply just chosen, when the scenario comments on each reply at once."""
        if not self.path or self.content.outline.feedback != "immediate":
            return None
        previous = self.path[-1]
        return previous["node"], previous["reply"]

    def replies(self) -> list[tuple[int, bool]]:
        """The current node's replies as (index, free), in this playthrough's own order."""
        # Authors tend to write the strong reply first; show replies in an order of this playthrough's own.
        replies = list(self.content.outline.replies[self.node])
        random.Random(f"{self.playthrough_id}:{self.step}").shuffle(replies)  # nosec B311  # display order, no secret
        replies.sort(key=lambda reply: reply[1])
        return replies

    @property
    def passed(self) -> bool:
        return scenario_rules.passes(self.content.outline.rules, self.state)

    def scores(self) -> list[dict[str, Any]]:
        """Each competency: this playthrough's score against the best achievable and the minimum."""
        scores = self.state.get("scores", {})
        return [
            {"key": c.key, "label": c.label, "score": scores.get(c.key, 0), "best": c.best, "min": c.min}
            for c in self.content.outline.competencies
        ]


_Reviewer = aliased(User)


def _page_select(*columns) -> sa.Select:
    return (
        session_user_select(
            Playthrough.id.label("playthrough_id"),
            Playthrough.snapshot_id,
            Playthrough.state,
            Playthrough.finished_at,
            Playthrough.review_status,
            ItemSnapshot.content_hash,
            Course.key.label("course_key"),
            Course.title.label("course_title"),
            Lesson.key.label("item_key"),
            Lesson.title.label("item_title"),
            *columns,
        )
        # Only the user's own playthrough: anyone else's is not found.
        .outerjoin(
            Playthrough,
            sa.and_(Playthrough.id == sa.bindparam("playthrough_id"), Playthrough.user_id == User.id),
        )
        .outerjoin(ItemSnapshot, ItemSnapshot.id == Playthrough.snapshot_id)
        .outerjoin(Lesson, Lesson.id == Playthrough.item_id)
        .outerjoin(Course, Course.id == Lesson.course_id)
    )


# Built once: building a statement costs more than running it.
_STEP_PAGE = _page_select()
# One row per instructor's comment (at least one row): the debrief shows them all.
_DEBRIEF_PAGE = (
    _page_select(
        ReviewEvent.id.label("review_id"),
        ReviewEvent.comment,
        ReviewEvent.created_at.label("reviewed_at"),
        _Reviewer.full_name.label("reviewer_name"),
        _Reviewer.username.label("reviewer_username"),
    )
    .outerjoin(ReviewEvent, ReviewEvent.playthrough_id == Playthrough.id)
    .outerjoin(_Reviewer, _Reviewer.id == ReviewEvent.actor_id)
    .order_by(ReviewEvent.id)
)


def _read(
    statement: sa.Select, session_token: str | None, playthrough_id: int
) -> tuple[User | None, ScenarioPage | None]:
    if session_token is None:
        return None, None
    params = {**session_params(session_token), "playthrough_id": playthrough_id}
    rows = db.session.execute(statement, params).all()
    first = rows[0] if rows else None
    user = accept_session_user(
        first.User if first else None, session_token, first.session_seen_at if first else None
    )
    if user is None or first.playthrough_id is None:
        return user, None
    reviews = [
        Review(row.comment, row.reviewer_name or row.reviewer_username or "", row.reviewed_at)
        for row in rows
        if getattr(row, "review_id", None) is not None
    ]
    return user, ScenarioPage(
        playthrough_id=first.playthrough_id,
        state=first.state,
        finished=first.finished_at is not None,
        review_status=first.review_status,
        titles=(first.course_key, first.course_title, first.item_key, first.item_title),
        content=ScenarioContent(first.snapshot_id, first.content_hash),
        reviews=reviews,
    )


def step_page(session_token: str | None, playthrough_id: int) -> tuple[User | None, ScenarioPage | None]:
    """The step page's one statement: the session's user and their own playthrough.
    (None, None) when nobody is signed in, (user, None) when the user has no such playthrough."""
    return _read(_STEP_PAGE, session_token, playthrough_id)


def debrief_page(session_token: str | None, playthrough_id: int) -> tuple[User | None, ScenarioPage | None]:
    """The debrief's one statement: as `step_page`, with the instructors' comments."""
    return _read(_DEBRIEF_PAGE, session_token, playthrough_id)

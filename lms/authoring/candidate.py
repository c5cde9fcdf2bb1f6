""" "Preview as candidate": an item in the candidate's page layout, from the effective text or the
published row, with nothing recorded (no progress, views or attempts) and every form disabled."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.authoring.services import PreviewItem, check_course
from lms.content.models import Lesson
from lms.extensions import db
from lms.quizzes.display import question_for_display


@dataclass
class CandidateView:
    """What the candidate's page of this item shows."""

    item: PreviewItem
    questions: list[dict] = field(default_factory=list)  # a quiz's questions, as the take page shows them
    policy: dict = field(default_factory=dict)
    first_node: dict | None = None  # a scenario's opening node with its replies
    # (title, rel) of the items before and after it in the course, as the lesson page's pager
    previous: tuple[str, str] | None = None
    next: tuple[str, str] | None = None

    @property
    def kind(self) -> str:
        return self.item.kind


def published_item(rel: str) -> PreviewItem | None:
    """The live imported item of this file, as learners see it now (None for course/module files)."""
    row = db.session.scalar(sa.select(Lesson).where(Lesson.source_path == rel, Lesson.archived_at.is_(None)))
    if row is None:
        return None
    return PreviewItem(
        rel=rel,
        kind=row.kind,
        key=row.key,
        title=row.title,
        html=row.html,
        toc=row.toc or [],
        payload=row.payload or {},
        minutes=row.minutes,
        course_key=row.course.key,
        course_title=row.course.title,
        module_title=row.module.title,
    )


def candidate_view(course_dir: str, rel: str, *, published: bool = False) -> CandidateView | None:
    """The view of one module item; None when the file is not an item (or does not load)."""
    checked = check_course(course_dir, rel)
    item = published_item(rel) if published else checked.item
    if item is None or item.kind in ("course", "module"):
        return None
    view = CandidateView(item)
    if checked.course is not None:
        order = [
            (lesson.title, lesson.rel_path) for module in checked.course.modules for lesson in module.lessons
        ]
        place = next((i for i, (_, path) in enumerate(order) if path == rel), None)
        if place is not None:
            view.previous = order[place - 1] if place > 0 else None
            view.next = order[place + 1] if place + 1 < len(order) else None
    payload = item.payload or {}
    if item.kind == "quiz":
        questions = sorted(payload.get("questions", []), key=lambda q: q.get("line", 0))
        view.questions = [question_for_display({}, question) for question in questions]
        view.policy = dict(payload.get("policy") or {})
    elif item.kind == "scenario":
        start = payload.get("start")
        view.first_node = (payload.get("nodes") or {}).get(start) if start else None
    return view

"""Linking course items to seminar sessions in the browser: what to prepare before a session
(`prepare`), what to do after it (`follow_up`) and its survey, each due some days from it."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from lms.audit.services import record
from lms.content.models import Course, Lesson, Module
from lms.core.errors import ValidationError
from lms.extensions import db
from lms.seminars.manage import touched
from lms.seminars.models import RELATIONS, Seminar, SeminarSession, SessionLink


def link_choices() -> list[SelectChoice]:
    """Every live course with its modules and items, for the "link" select (grouped by course):
    value `course:module:item`, empty parts for a whole module or course."""
    choices: list[SelectChoice] = []
    courses = db.session.scalars(
        sa.select(Course).where(Course.archived_at.is_(None)).order_by(Course.position, Course.title)
    )
    for course in courses:
        group = course.title
        choices.append(
            SelectChoice(
                f"{course.key}::", str(_l("Whole course: %(title)s", title=course.title)), optgroup=group
            )
        )
        modules = db.session.scalars(
            sa.select(Module)
            .where(Module.course_id == course.id, Module.archived_at.is_(None))
            .order_by(Module.position)
        )
        for module in modules:
            choices.append(
                SelectChoice(
                    f"{course.key}:{module.key}:",
                    str(_l("Module: %(title)s", title=module.title)),
                    optgroup=group,
                )
            )
            lessons = db.session.scalars(
                sa.select(Lesson)
                .where(Lesson.module_id == module.id, Lesson.archived_at.is_(None))
                .order_by(Lesson.position)
            )
            choices += [
                SelectChoice(f"{course.key}:{module.key}:{lesson.key}", f"— {lesson.title}", optgroup=group)
                for lesson in lessons
            ]
    return choices


def add_link(
    seminar: Seminar, session: SeminarSession, *, target: str, relation: str, due_days: int
) -> SessionLink:
    """Link a course, module or item before (prepare) or after (follow-up, survey) the session."""
    if relation not in RELATIONS:
        raise ValidationError("bad_relation", _l("Choose when it is due."), field="relation")
    if relation == "prepare" and due_days > 0:
        raise ValidationError(
            "due_after",
            _l("Preparation is due on the session's day or before (0 or less)."),
            field="due_days",
        )
    if relation != "prepare" and due_days < 0:
        raise ValidationError(
            "due_before", _l("Follow-up is due on the session's day or after (0 or more)."), field="due_days"
        )
    course_key, _sep, rest = (target or "").partition(":")
    module_key, _sep, item_key = rest.partition(":")
    course = db.session.scalar(
        sa.select(Course).where(Course.key == course_key, Course.archived_at.is_(None))
    )
    if course is None:
        raise ValidationError("unknown_target", _l("Choose a course, module or item."), field="target")
    if (
        module_key
        and db.session.scalar(
            sa.select(Module.id).where(Module.course_id == course.id, Module.key == module_key)
        )
        is None
    ):
        raise ValidationError("unknown_target", _l("Choose a course, module or item."), field="target")
    lesson = None
    if item_key:
        lesson = db.session.scalar(
            sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.key == item_key)
        )
        if lesson is None:
            raise ValidationError("unknown_target", _l("Choose a course, module or item."), field="target")
        if relation == "survey" and lesson.kind != "survey":
            raise ValidationError("not_a_survey", _l("This item is not a survey."), field="target")
        module_key = ""  # an item is named by its key alone
    elif relation == "survey":
        raise ValidationError("not_a_survey", _l("This item is not a survey."), field="target")
    identity = (course.id, module_key or None, item_key or None, relation)
    for link in session.links:
        if (link.course_id, link.module_key, link.item_key, link.relation) == identity:
            link.due_days = due_days  # the same link again (a double submit): its due date only
            db.session.flush()
            return link
    link = SessionLink(
        session_id=session.id,
        course_id=course.id,
        module_key=module_key or None,
        item_key=item_key or None,
        relation=relation,
        due_days=due_days,
    )
    db.session.add(link)
    db.session.flush()
    touched(seminar)
    record(
        "seminar.link_add",
        target=seminar,
        details={
            "session": session.key,
            "course": course.key,
            "item": item_key or module_key or "",
            "relation": relation,
        },
    )
    return link


def delete_link(seminar: Seminar, link: SessionLink) -> None:
    """Unlink a course, module or item from its session."""
    details = {
        "session": link.session.key,
        "item": link.item_key or link.module_key or "",
        "relation": link.relation,
    }
    db.session.delete(link)
    db.session.flush()
    touched(seminar)
    record("seminar.link_delete", target=seminar, details=details)

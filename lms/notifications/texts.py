"""A notification's text in the reader's language, from its kind and parameters (never stored)."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from lms.notifications.models import Notification

KINDS = (
    "submission_returned",
    "submission_accepted",
    "course_assigned",
    "due_soon",
    "overdue",
    "certificate_issued",
    "reminder",
    "team_submitted",
)


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value), "d MMMM y") if value else ""


def notification_text(notification: Notification) -> str:
    """One sentence saying what happened, in the current locale."""
    p = notification.params or {}
    kind = notification.kind
    if kind == "submission_returned":
        return _('Your work "%(item)s" was returned for rework.', item=p.get("item", ""))
    if kind == "submission_accepted":
        return _('Your work "%(item)s" was accepted.', item=p.get("item", ""))
    if kind == "course_assigned":
        if p.get("due_on"):
            return _(
                'You have a new course: "%(course)s", due %(day)s.',
                course=p.get("course", ""),
                day=_day(p["due_on"]),
            )
        return _('You have a new course: "%(course)s".', course=p.get("course", ""))
    if kind == "due_soon":
        days = int(p.get("days", 0))
        if days <= 0:
            return _('The course "%(course)s" is due today.', course=p.get("course", ""))
        return ngettext(
            'The course "%(course)s" is due in %(num)s day, on %(day)s.',
            'The course "%(course)s" is due in %(num)s days, on %(day)s.',
            days,
            course=p.get("course", ""),
            day=_day(p.get("due_on")),
        )
    if kind == "overdue":
        return _(
            'The course "%(course)s" was due on %(day)s and is not completed yet.',
            course=p.get("course", ""),
            day=_day(p.get("due_on")),
        )
    if kind == "certificate_issued":
        return _('Your certificate for the course "%(course)s" is ready.', course=p.get("course", ""))
    if kind == "team_submitted":
        return _(
            '%(name)s submitted your team\'s work "%(item)s" for review.',
            name=p.get("name", ""),
            item=p.get("item", ""),
        )
    if kind == "reminder":
        return _("A reminder from %(name)s.", name=p.get("sender", ""))
    return kind


def notification_detail(notification: Notification) -> str:
    """The words someone wrote with it (an instructor's comment, a coordinator's reminder), or ""."""
    p = notification.params or {}
    return str(p.get("comment") or p.get("text") or "")

"""How far a candidate is with a course's attendance requirement, for the course page.

A course's rule may ask for a seminar's attendance (`completion: {attendance: {seminar: key}}`):
lms.seminars.attendance answers whether it is met (`requirement_met`); this module answers how far
the candidate is (`requirement_progress`), in one statement, as progress never imports seminars.
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import url_for

from lms.accounts.models import User
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.signals import RequirementProgress, requirement_progress
from lms.seminars import services as seminars
from lms.seminars.attendance import AttendanceSummary, sessions_attended, sessions_counted
from lms.seminars.models import Seminar


def sessions_needed(percent: float, total: int) -> int:
    """The fewest sessions of `total` that make `percent`, by the rule's own test
    (`AttendanceSummary.met`: 100 * attended / total >= percent), so the two never disagree."""
    if total <= 0:
        return 0
    needed = min(max(math.ceil(percent * total / 100), 0), total)
    # The product may round either way in floating point: step to where the rule's test turns.
    while needed > 0 and AttendanceSummary(needed - 1, total, percent).met:
        needed -= 1
    while needed < total and not AttendanceSummary(needed, total, percent).met:
        needed += 1
    return needed


def _standing(user: User, key: str) -> sa.Select:
    """One row for the seminar named `key`: its title and own requirement, its sessions, those the
    user attended, and whether the user may open its page (the one scope: `visible_seminars`)."""
    seminar = sa.orm.aliased(Seminar, name="required_seminar")
    sessions = sessions_counted(seminar.id).scalar_subquery()
    attended = sessions_attended(seminar.id, user.id).scalar_subquery()
    visible = seminar.id.in_(seminars.visible_seminars(user).with_only_columns(Seminar.id))
    return sa.select(
        seminar.title,
        seminar.attendance_required_percent,
        sessions.label("sessions"),
        attended.label("attended"),
        visible.label("visible"),
    ).where(seminar.key == key)


@requirement_progress.connect
def _attendance_progress(_sender: object, user: User, requirement: dict) -> RequirementProgress | None:
    """A course rule's `attendance: {seminar: key, percent: N}`, as `_attendance_requirement`
    reads it: without N the seminar's own share, every session when it sets none. An unknown
    seminar shows by its key, never met; other kinds are not ours (None)."""
    if requirement.get("kind") != "attendance":
        return None
    key = str(requirement.get("seminar") or "")
    row = db.session.execute(_standing(user, key)).first()
    wanted = requirement.get("percent")
    if wanted is None and row is not None:
        wanted = row.attendance_required_percent
    percent = 100.0 if wanted is None else float(wanted)
    if row is None:
        return RequirementProgress("attendance", key, None, percent, 0, 0, 0, met=False)
    total, attended = row.sessions or 0, row.attended or 0
    participant = row.visible and user.role == Role.CANDIDATE
    return RequirementProgress(
        "attendance",
        row.title,
        url_for("seminars.show", key=key) if participant else None,
        percent,
        attended,
        sessions_needed(percent, total),
        total,
        met=AttendanceSummary(attended, total, percent).met,
    )

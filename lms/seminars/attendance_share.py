"""The participant's share: the sessions of a seminar they attended (present or late) against the
seminar's requirement, and the answer to a course's completion rule that asks for it.

The counting statements are the one definition that the completion rule, the course page's
progress (lms.seminars.attendance_progress) and the coordinators' tables count by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import User
from lms.extensions import db
from lms.progress.signals import requirement_met
from lms.seminars.attendance_models import ATTENDED, Attendance
from lms.seminars.models import Seminar, SeminarSession


@dataclass(frozen=True)
class AttendanceSummary:
    attended: int
    total: int
    required_percent: float | None

    @property
    def percent(self) -> float:
        return 100.0 * self.attended / self.total if self.total else 0.0

    @property
    def met(self) -> bool | None:
        """Whether the seminar's requirement is met (None: the seminar sets none)."""
        if self.required_percent is None:
            return None
        return self.percent >= self.required_percent


def required_percent(seminar: Seminar) -> float | None:
    value = getattr(seminar, "attendance_required_percent", None)
    return None if value is None else float(value)


def sessions_counted(seminar_id: Any) -> sa.Select:
    """How many sessions the seminar has (a column or a value for `seminar_id`)."""
    return (
        sa.select(sa.func.count()).select_from(SeminarSession).where(SeminarSession.seminar_id == seminar_id)
    )


def sessions_attended(seminar_id: Any, user_id: int) -> sa.Select:
    """How many of them the user attended (present or late): the one definition the completion
    rule and the course page's progress both count by."""
    return (
        sa.select(sa.func.count())
        .select_from(Attendance)
        .join(SeminarSession, SeminarSession.id == Attendance.session_id)
        .where(
            SeminarSession.seminar_id == seminar_id,
            Attendance.user_id == user_id,
            Attendance.status.in_(ATTENDED),
        )
    )


def attendance_summary(seminar: Seminar, user: User) -> AttendanceSummary:
    """Sessions of the seminar the user attended (present or late) out of all its sessions."""
    total = db.session.scalar(sessions_counted(seminar.id))
    attended = db.session.scalar(sessions_attended(seminar.id, user.id))
    return AttendanceSummary(attended or 0, total or 0, required_percent(seminar))


@requirement_met.connect
def _attendance_requirement(_sender: object, user_id: int, requirement: dict) -> bool | None:
    """Answer a completion rule's `attendance: {seminar: key, percent: N}`: met when the user
    attended at least N % of the seminar's sessions (without N the seminar's own requirement, and
    every session when the seminar sets none). An unknown seminar is not met; other kinds are not
    ours (None)."""
    if requirement.get("kind") != "attendance":
        return None
    seminar = db.session.scalar(sa.select(Seminar).where(Seminar.key == requirement.get("seminar")))
    user = db.session.get(User, user_id)
    if seminar is None or user is None:
        return False
    wanted = requirement.get("percent")
    if wanted is None:
        wanted = required_percent(seminar)
    summary = attendance_summary(seminar, user)
    return summary.percent >= (100.0 if wanted is None else float(wanted))


def attendance_percent(seminar: Seminar, user: User) -> float:
    """The share of the seminar's sessions the user attended, in percent (0 without sessions)."""
    return attendance_summary(seminar, user).percent

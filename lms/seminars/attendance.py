"""Attendance at seminar sessions: marks from the list (also sent late by a phone's offline
queue), QR check-ins, the share of sessions a participant attended, and the coordinators' tables.

Services flush, never commit: the request commits once (lms.core.transactions).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region, User
from lms.audit.services import record
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.services import requirement_changed
from lms.progress.signals import requirement_met
from lms.progress.visibility import in_scope, region_scope
from lms.seminars import services as seminars
from lms.seminars.attendance_models import ATTENDED, SOURCES, STATUSES, Attendance
from lms.seminars.attendance_tokens import (
    CheckinWindow,
    arrival_status,
    checkin_window,
    make_checkin_token,
    read_checkin_token,
    time_step,
)
from lms.seminars.models import Seminar, SeminarSession
from lms.seminars.signals import sessions_in_use

NOTE_MAX = 500
# crypto.randomUUID() on the phone, uuid4 in the page without script; anything else is refused.
CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")

STATUS_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "absent": _l("Absent"),
    "excused": _l("Excused"),
}
SOURCE_LABELS = {"list": _l("List"), "qr": _l("QR code")}


# --- Settings -----------------------------------------------------------------------------------


def qr_step_seconds() -> int:
    """How long one QR code is the current one (the room screen refreshes more often)."""
    return int(current_app.config.get("ATTENDANCE_QR_STEP_SECONDS", 60))


def checkin_early() -> timedelta:
    """How long before a session starts its QR check-in opens."""
    return timedelta(minutes=int(current_app.config.get("ATTENDANCE_CHECKIN_EARLY_MINUTES", 15)))


def late_grace() -> timedelta:
    """A check-in this long after the start still counts as on time."""
    return timedelta(minutes=int(current_app.config.get("ATTENDANCE_LATE_GRACE_MINUTES", 10)))


def session_window(session: SeminarSession) -> CheckinWindow:
    return checkin_window(session.starts_at, session.ends_at, checkin_early())


# --- Who may do what ----------------------------------------------------------------------------


def may_take(viewer: User, seminar: Seminar) -> bool:
    """Who may take a seminar's attendance (lms.seminars.services.may_take_attendance): its
    managers, instructors teaching a linked course, coordinators of a region taking part."""
    return viewer.is_authenticated and seminars.may_take_attendance(viewer, seminar)


def attendance_candidates(viewer: User, seminar: Seminar) -> sa.Select:
    """The invited participants whose attendance this viewer may see and mark: every one for
    instructors, admins and national coordinators, a regional coordinator's region's only."""
    query = seminars.participants(seminar)
    if viewer.role == Role.COORDINATOR:
        query = in_scope(query, User.region_code, viewer)
    return query


@sessions_in_use.connect
def _sessions_with_marks(_sender: object, session_ids: list[int]) -> set[int]:
    """A session with marks is not deleted by an import or an admin: the marks would go with it."""
    query = sa.select(Attendance.session_id).where(Attendance.session_id.in_(session_ids)).distinct()
    return set(db.session.scalars(query))


# --- Marks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkResult:
    attendance: Attendance
    replayed: bool  # the same client_id was seen before: nothing changed


def _check(status: str, note: str, source: str, client_id: str | None) -> str:
    if status not in STATUSES:
        raise ValidationError("status", _l("Choose present, late, absent or excused."), field="status")
    if source not in SOURCES:
        raise ValueError(f"unknown attendance source {source!r}")
    if client_id is not None and not CLIENT_ID.match(client_id):
        raise ValidationError("client_id", _l("The mark could not be read; reload the page."))
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            "note", _l("The note is too long (at most %(max)s characters).", max=NOTE_MAX), field="note"
        )
    return note


def mark(
    session: SeminarSession,
    user: User,
    status: str,
    note: str = "",
    *,
    by: User | None,
    source: str = "list",
    client_id: str | None = None,
    now: datetime | None = None,
) -> MarkResult:
    """Record `user`'s attendance at `session`, once: the same `client_id` sent again (a retried
    request of the offline queue, a double submit) changes nothing; a later mark updates the one
    row of (session, user)."""
    note = _check(status, note, source, client_id)
    now = now or utcnow()
    if client_id is not None:
        seen = db.session.scalar(sa.select(Attendance).where(Attendance.client_id == client_id))
        if seen is not None:
            return MarkResult(seen, replayed=True)
    values = {
        "session_id": session.id,
        "user_id": user.id,
        "status": status,
        "note": note,
        "marked_by_id": by.id if by is not None else None,
        "marked_at": now,
        "source": source,
        "client_id": client_id,
    }
    # Either this call writes the row, or another one (a second tab, the queue's retry) holds
    # the (session, user) row or this client_id already: then it is updated, or left alone.
    inserted = insert_or_ignore(Attendance, values, None)
    if not inserted and client_id is not None:
        seen = db.session.scalar(sa.select(Attendance).where(Attendance.client_id == client_id))
        if seen is not None:
            return MarkResult(seen, replayed=True)
    row = db.session.scalar(
        sa.select(Attendance)
        .where(Attendance.session_id == session.id, Attendance.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    assert row is not None  # inserted now, or held by the unique (session, user) row
    if not inserted:
        for key in ("status", "note", "marked_by_id", "marked_at", "source", "client_id"):
            setattr(row, key, values[key])
        db.session.flush()
    # A course's completion rule may ask for this seminar's attendance: have it evaluated again
    # (a certificate issued once it is met, the completion marked lapsed if it no longer is).
    requirement_changed(user.id, "attendance", seminar=session.seminar.key)
    return MarkResult(row, replayed=False)


def participant_for(viewer: User, seminar: Seminar, user_id: int) -> User | None:
    """One participant the viewer may mark, or None (not invited, or outside their region)."""
    return db.session.scalar(attendance_candidates(viewer, seminar).where(User.id == user_id))


def mark_from_list(
    viewer: User,
    seminar: Seminar,
    session: SeminarSession,
    user: User,
    status: str,
    note: str,
    client_id: str | None,
) -> MarkResult:
    """A mark made by staff on the list (for a participant from `participant_for`); audited."""
    result = mark(session, user, status, note, by=viewer, source="list", client_id=client_id)
    if not result.replayed:
        record(
            "attendance.mark",
            target=user,
            details={"seminar": seminar.key, "session": session.key, "status": status},
        )
    return result


def own_mark(session: SeminarSession, user: User) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user.id)
    )


Marked = tuple[User, Attendance | None]


def session_marks(viewer: User, seminar: Seminar, session: SeminarSession) -> list[Marked]:
    """The participants the viewer may mark, by name, each with their mark (None: not yet)."""
    people = attendance_candidates(viewer, seminar).subquery()
    participant = sa.orm.aliased(User, people)
    rows = db.session.execute(
        sa.select(participant, Attendance)
        .outerjoin(
            Attendance, sa.and_(Attendance.user_id == participant.id, Attendance.session_id == session.id)
        )
        .order_by(participant.full_name, participant.username)
    )
    return [(user, attendance) for user, attendance in rows]


# --- QR check-in --------------------------------------------------------------------------------


def current_token(session: SeminarSession, now: datetime | None = None) -> tuple[str, int]:
    """The code the room screen shows now, and its step."""
    step = time_step(now or utcnow(), qr_step_seconds())
    return make_checkin_token(current_app.config["SECRET_KEY"], session.id, step), step


def verify_token(session: SeminarSession, token: str, now: datetime | None = None) -> int:
    """Raises CheckinRefused unless `token` is this session's current (or previous) code, inside
    the session window."""
    return read_checkin_token(
        current_app.config["SECRET_KEY"],
        token,
        session_id=session.id,
        now=now or utcnow(),
        step_seconds=qr_step_seconds(),
        window=session_window(session),
    )


def check_in(session: SeminarSession, user: User, now: datetime | None = None) -> MarkResult:
    """The participant scanned a valid code: present (late after the grace period). Checking in
    again keeps the first arrival; a staff mark of absent is replaced (they are here)."""
    now = now or utcnow()
    existing = own_mark(session, user)
    if existing is not None and existing.attended:
        return MarkResult(existing, replayed=True)
    status = arrival_status(now, session.starts_at, late_grace())
    return mark(session, user, status, "", by=user, source="qr", now=now)


# --- The participant's share --------------------------------------------------------------------


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


# --- Coordinators' tables -----------------------------------------------------------------------


@dataclass
class Tally:
    """Marks counted for one session (`sessions` = 1) or one region (all the seminar's sessions)."""

    participants: int = 0
    sessions: int = 1
    counts: Counter = field(default_factory=Counter)

    @property
    def possible(self) -> int:
        return self.participants * self.sessions

    @property
    def unmarked(self) -> int:
        return max(self.possible - sum(self.counts.values()), 0)

    @property
    def attended(self) -> int:
        return self.counts["present"] + self.counts["late"]

    @property
    def percent(self) -> float | None:
        return 100.0 * self.attended / self.possible if self.possible else None


@dataclass(frozen=True)
class Report:
    """What a coordinator sees of one seminar's attendance, within their scope."""

    sessions: list[tuple[SeminarSession, Tally]]
    regions: list[tuple[Region, Tally]]
    total: Tally


def report_region(viewer: User, requested: str | None) -> str | None:
    """The region the report is limited to: a regional coordinator's own whatever was asked;
    the requested one (None: all) for national coordinators and admins. Refused for others."""
    return region_scope(viewer) or requested


def _report_people(viewer: User, seminar: Seminar, region: str | None) -> sa.Select:
    query = attendance_candidates(viewer, seminar)
    return query if region is None else query.where(User.region_code == region)


def attendance_report(viewer: User, seminar: Seminar, region: str | None) -> Report:
    """Counts by session and by region of the participants the viewer may see (one region when
    `region` is given)."""
    people = _report_people(viewer, seminar, region).subquery()
    sessions = list(
        db.session.scalars(
            sa.select(SeminarSession)
            .where(SeminarSession.seminar_id == seminar.id)
            .order_by(SeminarSession.starts_at, SeminarSession.position)
        )
    )
    by_region: dict[str, int] = dict(
        db.session.execute(
            sa.select(people.c.region_code, sa.func.count()).group_by(people.c.region_code)
        ).all()
    )
    marks = db.session.execute(
        sa.select(Attendance.session_id, people.c.region_code, Attendance.status, sa.func.count())
        .join(people, people.c.id == Attendance.user_id)
        .join(SeminarSession, SeminarSession.id == Attendance.session_id)
        .where(SeminarSession.seminar_id == seminar.id)
        .group_by(Attendance.session_id, people.c.region_code, Attendance.status)
    ).all()
    participants = sum(by_region.values())
    session_tallies = {s.id: Tally(participants=participants) for s in sessions}
    region_tallies = {
        code: Tally(participants=count, sessions=len(sessions)) for code, count in by_region.items()
    }
    total = Tally(participants=participants, sessions=len(sessions))
    for session_id, region_code, status, count in marks:
        session_tallies[session_id].counts[status] += count
        region_tallies[region_code].counts[status] += count
        total.counts[status] += count
    regions = {
        r.code: r for r in db.session.scalars(sa.select(Region).where(Region.code.in_(list(by_region))))
    }
    return Report(
        sessions=[(s, session_tallies[s.id]) for s in sessions],
        regions=[(regions[code], tally) for code, tally in sorted(region_tallies.items()) if code in regions],
        total=total,
    )


def participant_shares(
    viewer: User, seminar: Seminar, region: str | None
) -> list[tuple[User, AttendanceSummary]]:
    """Each participant in scope with the sessions they attended, against the requirement."""
    people = _report_people(viewer, seminar, region).subquery()
    participant = sa.orm.aliased(User, people)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(SeminarSession).where(SeminarSession.seminar_id == seminar.id)
    )
    attended = (
        sa.select(Attendance.user_id, sa.func.count().label("attended"))
        .join(SeminarSession, SeminarSession.id == Attendance.session_id)
        .where(SeminarSession.seminar_id == seminar.id, Attendance.status.in_(ATTENDED))
        .group_by(Attendance.user_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(participant, attended.c.attended)
        .outerjoin(attended, attended.c.user_id == participant.id)
        .order_by(participant.region_code, participant.full_name, participant.username)
    )
    required = required_percent(seminar)
    return [(user, AttendanceSummary(count or 0, total or 0, required)) for user, count in rows]


def export_rows(viewer: User, seminar: Seminar, region: str | None) -> sa.Result:
    """One row per participant and session (unmarked sessions included), for the CSV/XLSX files."""
    people = _report_people(viewer, seminar, region).subquery()
    participant = sa.orm.aliased(User, people)
    query = (
        sa.select(participant, SeminarSession, Attendance)
        .select_from(participant)
        .join(SeminarSession, SeminarSession.seminar_id == seminar.id)
        .outerjoin(
            Attendance,
            sa.and_(Attendance.user_id == participant.id, Attendance.session_id == SeminarSession.id),
        )
        .order_by(participant.region_code, participant.full_name, participant.id, SeminarSession.starts_at)
    )
    return db.session.execute(query)

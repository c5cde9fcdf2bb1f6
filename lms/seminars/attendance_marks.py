"""Taking attendance: who may take a seminar's, whose they may mark, and the marks themselves (from
the list, also sent late by a phone's offline queue, once per client id).

The QR check-in, the participant's share and the coordinators' tables all build on these marks and
on `attendance_candidates`; the check that a session with marks is not deleted lives here too.
Services flush, never commit: the request commits once (lms.core.transactions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.services import requirement_changed
from lms.progress.visibility import in_scope
from lms.seminars import services as seminars
from lms.seminars.attendance_models import SOURCES, STATUSES, Attendance
from lms.seminars.models import Seminar, SeminarSession
from lms.seminars.signals import sessions_in_use

NOTE_MAX = 500
# crypto.randomUUID() on the phone, uuid4 in the page without script; anything else is refused.
CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


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

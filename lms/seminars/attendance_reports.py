"""The coordinators' tables of a seminar's attendance: counts by session and by region, each
participant's share, and the rows of the CSV/XLSX export, all within the viewer's scope.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.accounts.models import Region, User
from lms.extensions import db
from lms.progress.visibility import region_scope
from lms.seminars.attendance_marks import attendance_candidates
from lms.seminars.attendance_models import ATTENDED, Attendance
from lms.seminars.attendance_share import AttendanceSummary, required_percent
from lms.seminars.models import Seminar, SeminarSession


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

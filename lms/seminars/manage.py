"""Changing seminars in the browser (admins and national coordinators): the seminar, its invites,
sessions, materials and linked items. Every change is audited; services flush, the view commits.

Session times are kept in UTC but typed as the seminar's wall-clock time on one of its days, so
moving the seminar's dates or time zone moves every session with it (same day number, same time
on the venue's clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region
from lms.audit.services import record
from lms.content.render import piece_id_prefix, render_markdown
from lms.content.schema import ID_PATTERN
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import Cohort
from lms.seminars.materials import delete_after_commit
from lms.seminars.models import (
    Seminar,
    SeminarInvite,
    SeminarSession,
)
from lms.seminars.signals import sessions_with_records

# --- the seminar ------------------------------------------------------------------------------


def _check_zone(name: str) -> str:
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("unknown_zone", _l("Unknown time zone."), field="timezone") from None
    return name


def _check_url(value: str | None) -> str | None:
    """An http(s) address or nothing: a link participants tap must not run anything."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            "bad_url", _l("Enter a web address starting with https://."), field="online_url"
        )
    return value


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise ValidationError(
            "ends_before_start", _l("The end date is before the start date."), field="ends_on"
        )
    if (ends_on - starts_on).days >= 31:
        raise ValidationError("too_long", _l("A seminar lasts at most 31 days."), field="ends_on")


def create_seminar(
    *,
    key: str,
    title: str,
    starts_on: date,
    ends_on: date,
    venue: str = "",
    online_url: str | None = None,
    timezone: str = "Europe/Moscow",
    summary_md: str = "",
) -> Seminar:
    """A new seminar made in the browser (no programme file)."""
    key = (key or "").strip()
    if not ID_PATTERN.match(key):
        raise ValidationError("bad_key", _l("Use lowercase latin letters, digits and hyphens."), field="key")
    if db.session.scalar(sa.select(Seminar.id).where(Seminar.key == key)) is not None:
        raise ValidationError("key_taken", _l("A seminar with this key already exists."), field="key")
    _check_dates(starts_on, ends_on)
    seminar = Seminar(
        key=key,
        title=title.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        venue=venue.strip(),
        online_url=_check_url(online_url),
        timezone=_check_zone(timezone),
        summary_md=summary_md.strip(),
        summary_html=render_markdown(summary_md).html if summary_md.strip() else "",
    )
    db.session.add(seminar)
    db.session.flush()
    record("seminar.create", target=seminar, details={"key": key, "starts_on": starts_on.isoformat()})
    return seminar


def update_seminar(
    seminar: Seminar,
    *,
    title: str,
    starts_on: date,
    ends_on: date,
    venue: str,
    online_url: str | None,
    timezone: str,
    summary_md: str,
) -> list[str]:
    """Change the seminar; sessions keep their day and venue-clock time. Returns what changed."""
    zone = _check_zone(timezone)
    _check_dates(starts_on, ends_on)
    last_day = (ends_on - starts_on).days + 1
    beyond = [s for s in seminar.sessions if s.day > last_day]
    if beyond:
        raise ValidationError(
            "sessions_beyond",
            _l(
                "Some sessions are on day %(day)s: move or delete them before shortening the seminar.",
                day=beyond[0].day,
            ),
            field="ends_on",
        )
    old_zone, old_start = seminar.timezone, seminar.starts_on
    values = {
        "title": title.strip(),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "venue": venue.strip(),
        "online_url": _check_url(online_url),
        "timezone": zone,
        "summary_md": summary_md.strip(),
    }
    changed = [name for name, value in values.items() if getattr(seminar, name) != value]
    if not changed:
        return []
    for name, value in values.items():
        setattr(seminar, name, value)
    seminar.summary_html = render_markdown(seminar.summary_md).html if seminar.summary_md else ""
    if old_zone != zone or old_start != starts_on:
        for session in seminar.sessions:
            start = session.starts_at.astimezone(ZoneInfo(old_zone))
            end = session.ends_at.astimezone(ZoneInfo(old_zone))
            session.starts_at, session.ends_at = _span(
                seminar, session.day, start.time(), end.time(), end.date() > start.date()
            )
    db.session.flush()
    touched(seminar)
    record("seminar.update", target=seminar, details={"fields": changed})
    return changed


def touched(seminar: Seminar) -> None:
    """A change made here: the calendar's stamp moves, and the next import of the seminar's file
    applies the file again (it no longer matches what is stored)."""
    seminar.updated_at = utcnow()
    seminar.source_hash = None


# --- invites ----------------------------------------------------------------------------------


def add_invite(seminar: Seminar, *, cohort_id: int | None = None, region_code: str | None = None) -> bool:
    """Invite a cohort or a whole region (one of them); False when it was invited already."""
    if (cohort_id is None) == (region_code is None):
        raise ValidationError("invite_target", _l("Choose a cohort or a region."), field="target")
    if cohort_id is not None:
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None or cohort.archived_at is not None:
            raise ValidationError("unknown_cohort", _l("Unknown cohort."), field="target")
        label = cohort.name
    else:
        if db.session.get(Region, region_code) is None:
            raise ValidationError("unknown_region", _l("Unknown region."), field="target")
        label = region_code
    # One statement that skips an invitation already there (a double submit, a second tab).
    values = {"seminar_id": seminar.id, "cohort_id": cohort_id, "region_id": region_code}
    if not insert_or_ignore(SeminarInvite, values, None):
        return False
    db.session.expire(seminar, ["invites"])
    touched(seminar)
    record("seminar.invite", target=seminar, details={"cohort" if cohort_id else "region": label})
    return True


def remove_invite(seminar: Seminar, invite: SeminarInvite) -> None:
    """Withdraw an invitation; its participants no longer see the seminar."""
    label = invite.region_id or (db.session.get(Cohort, invite.cohort_id).name if invite.cohort_id else "")
    db.session.delete(invite)
    db.session.flush()
    touched(seminar)
    record("seminar.uninvite", target=seminar, details={"cohort" if invite.cohort_id else "region": label})


# --- sessions ---------------------------------------------------------------------------------


@dataclass
class SessionValues:
    """A session as typed in the form: a day of the seminar and venue-clock times."""

    key: str
    title: str
    day: int
    starts: time
    ends: time
    room: str = ""
    online_url: str | None = None
    topics: tuple[str, ...] = ()
    speakers: tuple[tuple[str, str], ...] = ()
    description_md: str = ""


def _span(
    seminar: Seminar, day: int, starts: time, ends: time, next_day: bool = False
) -> tuple[datetime, datetime]:
    zone = ZoneInfo(seminar.timezone)
    on = seminar.starts_on + timedelta(days=day - 1)
    start = datetime.combine(on, starts, tzinfo=zone)
    end = datetime.combine(on + timedelta(days=1 if next_day else 0), ends, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_topics(text: str) -> tuple[str, ...]:
    """`выборы, риски` -> ("выборы", "риски")."""
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def parse_speakers(text: str) -> tuple[tuple[str, str], ...]:
    """One speaker a line, `Name — role` (an em dash, a hyphen with spaces, or a comma)."""
    speakers = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        name, role = line, ""
        for separator in (" — ", " – ", " - ", ","):
            if separator in line:
                name, role = (part.strip() for part in line.split(separator, 1))
                break
        if name:
            speakers.append((name[:200], role[:200]))
    return tuple(speakers)


def speakers_text(session: SeminarSession) -> str:
    """The form's text for a session's speakers (the inverse of `parse_speakers`)."""
    return "\n".join(
        f"{s['name']} — {s['role']}" if s.get("role") else s["name"] for s in session.speakers or []
    )


def save_session(
    seminar: Seminar, values: SessionValues, session: SeminarSession | None = None
) -> SeminarSession:
    """Add a session (at the end of its day) or change one; keys stay unique within the seminar."""
    key = values.key.strip()
    if not ID_PATTERN.match(key):
        raise ValidationError("bad_key", _l("Use lowercase latin letters, digits and hyphens."), field="key")
    taken = sa.select(SeminarSession.id).where(
        SeminarSession.seminar_id == seminar.id, SeminarSession.key == key
    )
    if session is not None:
        taken = taken.where(SeminarSession.id != session.id)
    if db.session.scalar(taken) is not None:
        raise ValidationError("key_taken", _l("Another session of this seminar has this key."), field="key")
    if not 1 <= values.day <= seminar.day_count:
        raise ValidationError("bad_day", _l("Choose a day of the seminar."), field="day")
    if values.ends <= values.starts:
        raise ValidationError("ends_before_start", _l("The session ends before it starts."), field="ends")
    starts_at, ends_at = _span(seminar, values.day, values.starts, values.ends)
    new = session is None
    if session is None:
        last = db.session.scalar(
            sa.select(sa.func.max(SeminarSession.position)).where(
                SeminarSession.seminar_id == seminar.id, SeminarSession.day == values.day
            )
        )
        session = SeminarSession(seminar_id=seminar.id, position=(last or 0) + 1)
        db.session.add(session)
    elif session.day != values.day:
        last = db.session.scalar(
            sa.select(sa.func.max(SeminarSession.position)).where(
                SeminarSession.seminar_id == seminar.id, SeminarSession.day == values.day
            )
        )
        session.position = (last or 0) + 1
    session.key = key
    session.title = values.title.strip()
    session.day = values.day
    session.starts_at, session.ends_at = starts_at, ends_at
    session.room = values.room.strip()
    session.online_url = _check_url(values.online_url)
    session.topics = list(values.topics)
    session.speakers = [{"name": name, "role": role} for name, role in values.speakers]
    session.description_md = values.description_md.strip()
    prefix = piece_id_prefix(f"session-{session.key}")  # the programme shows every session's
    description = session.description_md
    session.description_html = render_markdown(description, id_prefix=prefix).html if description else ""
    db.session.flush()
    touched(seminar)
    record(
        "seminar.session_add" if new else "seminar.session_update",
        target=seminar,
        details={"session": key, "title": session.title},
    )
    return session


def delete_session(seminar: Seminar, session: SeminarSession) -> None:
    """Delete a session with its materials and links; refused while attendance keeps marks on it."""
    if sessions_with_records([session.id]):
        raise ValidationError(
            "session_in_use", _l("Attendance has been taken for this session: it cannot be deleted.")
        )
    keys = [material.storage_key for material in session.materials]
    details = {"session": session.key, "title": session.title}
    db.session.delete(session)
    db.session.flush()
    for key in keys:
        delete_after_commit(key)
    touched(seminar)
    record("seminar.session_delete", target=seminar, details=details)


def move_session(seminar: Seminar, session: SeminarSession, direction: str) -> bool:
    """Swap a session with its neighbour on the same day ("up" or "down"); False at either end."""
    same_day = [s for s in seminar.sessions if s.day == session.day]
    same_day.sort(key=lambda s: (s.position, s.starts_at, s.id))
    index = same_day.index(session)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(same_day):
        return False
    same_day[index], same_day[other] = same_day[other], same_day[index]
    for position, row in enumerate(same_day, start=1):
        row.position = position
    db.session.flush()
    touched(seminar)
    record("seminar.session_move", target=seminar, details={"session": session.key, "direction": direction})
    return True

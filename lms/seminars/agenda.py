""" "My seminar": the programme as one participant reads it, day by day in their time zone, each
session with what to prepare before it and what is due after, done or not from their progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.seminars import ics
from lms.seminars.models import Seminar, SeminarSession, SessionLink


@dataclass
class LinkRow:
    """One linked course, module or item with its due date; `done` is None for staff (no progress)."""

    link: SessionLink
    course: Course
    module: Module | None
    lesson: Lesson | None
    due_on: date
    done: bool | None

    @property
    def title(self) -> str:
        return (self.lesson or self.module or self.course).title


@dataclass
class SessionRow:
    session: SeminarSession
    before: list[LinkRow] = field(default_factory=list)
    after: list[LinkRow] = field(default_factory=list)
    # Running at the moment the page was made (for the phone at the venue).
    now: bool = False


@dataclass
class DayRow:
    number: int
    on: date
    sessions: list[SessionRow] = field(default_factory=list)
    # The reader's today (in their zone) is this day.
    today: bool = False


def viewer_zone(user: User, seminar: Seminar) -> str:
    """The participant's own time zone (profile), else the seminar's."""
    zone = user.timezone or seminar.timezone
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError):
        return seminar.timezone
    return zone


def due_on(session: SeminarSession, link: SessionLink, zone: str) -> date:
    """Preparation is due `due_days` from the session's start day; the rest from its end day (in
    the reader's zone: the day they see)."""
    anchor = session.starts_at if link.relation == "prepare" else session.ends_at
    return anchor.astimezone(ZoneInfo(zone)).date() + timedelta(days=link.due_days)


def load_programme(seminar: Seminar) -> list[SeminarSession]:
    """The sessions in programme order with their links and materials, in three statements."""
    return list(
        db.session.scalars(
            sa.select(SeminarSession)
            .where(SeminarSession.seminar_id == seminar.id)
            .options(selectinload(SeminarSession.links), selectinload(SeminarSession.materials))
            .order_by(
                SeminarSession.day, SeminarSession.position, SeminarSession.starts_at, SeminarSession.id
            )
        )
    )


def agenda(seminar: Seminar, user: User, *, with_progress: bool, now: datetime | None = None) -> list[DayRow]:
    """The programme by day for `user`; `with_progress` adds done/not done (participants), `now`
    marks the running session and today's day."""
    zone = viewer_zone(user, seminar)
    today = now.astimezone(ZoneInfo(zone)).date() if now else None
    sessions = load_programme(seminar)
    links = [link for session in sessions for link in session.links]
    targets = _Targets(links)
    done = _Done(user, targets) if with_progress else None
    days: dict[int, DayRow] = {}
    for session in sessions:
        day = days.setdefault(
            session.day, DayRow(session.day, seminar.starts_on + timedelta(days=session.day - 1))
        )
        row = SessionRow(session, now=now is not None and session.starts_at <= now < session.ends_at)
        day.today = day.today or day.on == today
        for link in session.links:
            resolved = targets.resolve(link)
            if resolved is None:
                continue  # the course or item went away since the import: nothing to link
            course, module, lesson = resolved
            state = done.of(course, module, lesson) if done else None
            link_row = LinkRow(link, course, module, lesson, due_on(session, link, zone), state)
            (row.before if link.relation == "prepare" else row.after).append(link_row)
        for rows in (row.before, row.after):
            rows.sort(key=lambda r: (r.due_on, r.link.id))
        day.sessions.append(row)
    return [days[number] for number in sorted(days)]


class _Targets:
    """The courses, modules and lessons the links name, each read once."""

    def __init__(self, links: list[SessionLink]) -> None:
        course_ids = {link.course_id for link in links}
        self.courses = {
            course.id: course
            for course in db.session.scalars(
                sa.select(Course).where(Course.id.in_(course_ids), Course.archived_at.is_(None))
            )
        }
        module_keys = {link.module_key for link in links if link.module_key}
        self.modules = (
            {
                (module.course_id, module.key): module
                for module in db.session.scalars(
                    sa.select(Module).where(
                        Module.course_id.in_(course_ids),
                        Module.key.in_(module_keys),
                        Module.archived_at.is_(None),
                    )
                )
            }
            if module_keys
            else {}
        )
        item_keys = {link.item_key for link in links if link.item_key}
        self.lessons = (
            {
                (lesson.course_id, lesson.key): lesson
                for lesson in db.session.scalars(
                    sa.select(Lesson).where(
                        Lesson.course_id.in_(course_ids),
                        Lesson.key.in_(item_keys),
                        Lesson.archived_at.is_(None),
                    )
                )
            }
            if item_keys
            else {}
        )

    def resolve(self, link: SessionLink) -> tuple[Course, Module | None, Lesson | None] | None:
        course = self.courses.get(link.course_id)
        if course is None:
            return None
        module = self.modules.get((course.id, link.module_key)) if link.module_key else None
        lesson = self.lessons.get((course.id, link.item_key)) if link.item_key else None
        if (link.module_key and module is None) or (link.item_key and lesson is None):
            return None
        return course, module, lesson


class _Done:
    """What the participant has completed among the linked targets, in at most three statements."""

    def __init__(self, user: User, targets: _Targets) -> None:
        course_ids = list(targets.courses)
        self.completed_lessons: set[int] = set()
        self.module_lessons: dict[int, set[int]] = {}
        self.completed_courses: set[int] = set()
        if not course_ids:
            return
        self.completed_lessons = set(
            db.session.scalars(
                sa.select(LessonProgress.lesson_id)
                .join(Lesson, Lesson.id == LessonProgress.lesson_id)
                .where(
                    LessonProgress.user_id == user.id,
                    LessonProgress.completed_at.is_not(None),
                    Lesson.course_id.in_(course_ids),
                )
            )
        )
        module_ids = [module.id for module in targets.modules.values()]
        if module_ids:
            for module_id, lesson_id in db.session.execute(
                sa.select(Lesson.module_id, Lesson.id).where(
                    Lesson.module_id.in_(module_ids), Lesson.archived_at.is_(None)
                )
            ):
                self.module_lessons.setdefault(module_id, set()).add(lesson_id)
        self.completed_courses = set(
            db.session.scalars(
                sa.select(Enrolment.course_id).where(
                    Enrolment.user_id == user.id,
                    Enrolment.course_id.in_(course_ids),
                    Enrolment.completed_at.is_not(None),
                )
            )
        )

    def of(self, course: Course, module: Module | None, lesson: Lesson | None) -> bool:
        if lesson is not None:
            return lesson.id in self.completed_lessons
        if module is not None:
            lessons = self.module_lessons.get(module.id, set())
            return bool(lessons) and lessons <= self.completed_lessons
        return course.id in self.completed_courses


def _event_description(session: SeminarSession) -> str:
    """Speakers, the description as plain text, and the online link: what a calendar shows."""
    lines = [
        f"{speaker['name']} — {speaker['role']}" if speaker.get("role") else speaker["name"]
        for speaker in session.speakers or []
    ]
    if session.description_html:
        # sanitised at import (Markdown → bleach); only its text is taken, for the calendar
        lines.append(Markup(session.description_html).striptags())  # nosec B704
    if session.online_url:
        lines.append(session.online_url)
    return "\n".join(lines)


def calendar_file(seminar: Seminar, page_url: str) -> bytes:
    """The whole programme as an .ics file; each event links back to its session on `page_url`
    (the school's public address of the programme page), and its UID is made of the keys."""
    domain = urlsplit(page_url).hostname or "lms"
    events = [
        ics.Event(
            uid=f"{seminar.key}.{session.key}@{domain}",
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            summary=session.title,
            location=", ".join(part for part in (session.room, seminar.venue) if part),
            description=_event_description(session),
            url=f"{page_url}#session-{session.key}",
        )
        for session in load_programme(seminar)
    ]
    return ics.calendar(
        seminar.title, events, stamp=seminar.updated_at, product="-//Higher Party School//LMS//RU"
    )

"""Import `seminars/*.md` into SQL: all files in one transaction, nothing half-imported.

A re-import updates seminars and sessions in place by their keys, so a kept session keeps its id,
its uploaded materials and its attendance marks; a session the file no longer lists is deleted
unless something (attendance) keeps records about it, in which case the import is refused.
A seminar whose file is gone is archived, and restored when the file comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import Region
from lms.content.models import Course, Lesson, Module
from lms.content.problems import ContentError, Problem
from lms.content.references import register_lookup
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import Cohort
from lms.seminars.catalogue import CourseRef, check_links
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession, SessionLink
from lms.seminars.programme import programme_files, read_programme
from lms.seminars.programme_schema import ProgrammeSource, SessionSource
from lms.seminars.signals import sessions_with_records


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    unchanged: int = 0
    sessions_added: int = 0
    sessions_removed: int = 0
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"seminars {label} ({len(keys)}): " + ", ".join(keys)
            for label, keys in (("added", self.added), ("updated", self.updated), ("archived", self.archived))
            if keys
        ]
        out.append(f"seminars unchanged: {self.unchanged}")
        out.append(f"seminar sessions added: {self.sessions_added}, removed: {self.sessions_removed}")
        return out


class DatabaseCatalogue:
    """Live courses, modules and items as imported, looked up by key (cached per import)."""

    def __init__(self) -> None:
        self._cache: dict[str, CourseRef | None] = {}

    def course(self, key: str) -> CourseRef | None:
        if key not in self._cache:
            self._cache[key] = self._load(key)
        return self._cache[key]

    def _load(self, key: str) -> CourseRef | None:
        course = db.session.scalar(sa.select(Course).where(Course.key == key, Course.archived_at.is_(None)))
        if course is None:
            return None
        rows = db.session.execute(
            sa.select(Module.key, Lesson.key, Lesson.kind)
            .join(Lesson, Lesson.module_id == Module.id)
            .where(Module.course_id == course.id, Module.archived_at.is_(None), Lesson.archived_at.is_(None))
        ).all()
        modules = set(
            db.session.scalars(
                sa.select(Module.key).where(Module.course_id == course.id, Module.archived_at.is_(None))
            )
        )
        module_items: dict[str, set[str]] = {key: set() for key in modules}
        for module_key, item_key, _kind in rows:
            module_items[module_key].add(item_key)
        return CourseRef(
            key,
            frozenset(modules),
            {item_key: kind for _module, item_key, kind in rows},
            {key: frozenset(items) for key, items in module_items.items()},
        )


def known_seminar_keys(folder: Path | None = None, database: bool = True) -> set[str]:
    """Seminars a course's `completion: {attendance: {seminar: key}}` may name: every programme in
    `folder` (default SEMINARS_DIR), which `flask lms import` imports right after the courses, and
    every seminar in the database (archived ones too: their marks still answer the rule; those
    made in the browser have no file)."""
    if folder is None:
        configured = current_app.config.get("SEMINARS_DIR")
        folder = Path(configured) if configured else None
    # A programme's key is its file name (the reader refuses a `key:` that differs from it).
    keys = {path.stem for path in programme_files(folder)} if folder is not None else set()
    if database:
        keys.update(db.session.scalars(sa.select(Seminar.key)))
    return keys


register_lookup("seminar", known_seminar_keys)


def import_folder(root: Path, *, display_prefix: str | None = None) -> ImportReport:
    """Check every programme in `root` against the database and import them; on any error raise
    ContentError with every problem and write nothing (the caller rolls back and commits)."""
    prefix = root.as_posix() if display_prefix is None else display_prefix
    catalogue = DatabaseCatalogue()
    problems: list[Problem] = []
    programmes: list[tuple[ProgrammeSource, str]] = []
    for path in programme_files(root):
        display = f"{prefix}/{path.name}" if prefix else path.name
        programme, found = read_programme(path, path.name, display, within=root.resolve())
        problems.extend(found)
        if programme is None:
            continue
        problems.extend(check_links(programme, catalogue, display))
        problems.extend(_check_invites(programme, display))
        programmes.append((programme, display))
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        raise ContentError(sorted(set(errors)))
    report = ImportReport(warnings=[str(problem) for problem in sorted(set(problems))])
    kept_keys = set()
    for programme, display in programmes:
        _apply(programme, display, report)
        kept_keys.add(programme.key)
    for seminar in db.session.scalars(
        sa.select(Seminar).where(Seminar.source_path.is_not(None), Seminar.archived_at.is_(None))
    ):
        if seminar.key not in kept_keys:
            seminar.archived_at = utcnow()
            report.archived.append(seminar.key)
    db.session.flush()
    return report


def _check_invites(programme: ProgrammeSource, display: str) -> list[Problem]:
    problems = []
    known = set(db.session.scalars(sa.select(Region.code)))
    for code, where in programme.regions:
        if code not in known:
            problems.append(Problem(display, where.line, where.col, "E925", f"unknown region code {code!r}"))
    names = {name for name, _where in programme.cohorts}
    cohorts = {
        cohort.name: cohort for cohort in db.session.scalars(sa.select(Cohort).where(Cohort.name.in_(names)))
    }
    for name, where in programme.cohorts:
        if name not in cohorts:
            problems.append(Problem(display, where.line, where.col, "E926", f"no cohort named {name!r}"))
        elif cohorts[name].archived_at is not None:
            problems.append(
                Problem(display, where.line, where.col, "W926", f"cohort {name!r} is archived", "warning")
            )
    return problems


def _apply(programme: ProgrammeSource, display: str, report: ImportReport) -> None:
    seminar = db.session.scalar(sa.select(Seminar).where(Seminar.key == programme.key))
    if (
        seminar is not None
        and seminar.archived_at is None
        and seminar.source_hash == programme.source_hash
        and seminar.source_path == programme.rel_path
    ):
        report.unchanged += 1
        return
    if seminar is None:
        seminar = Seminar(key=programme.key)
        db.session.add(seminar)
        report.added.append(programme.key)
    else:
        report.updated.append(programme.key)
    seminar.title = programme.title
    seminar.starts_on = programme.starts_on
    seminar.ends_on = programme.ends_on
    seminar.venue = programme.venue
    seminar.online_url = programme.online_url
    seminar.timezone = programme.timezone
    seminar.attendance_required_percent = programme.attendance_required_percent
    seminar.summary_md = programme.summary_md
    seminar.summary_html = programme.summary_html
    seminar.source_path = programme.rel_path
    seminar.source_hash = programme.source_hash
    seminar.archived_at = None
    seminar.updated_at = utcnow()
    db.session.flush()
    _apply_invites(seminar, programme)
    _apply_sessions(seminar, programme, display, report)


def _apply_invites(seminar: Seminar, programme: ProgrammeSource) -> None:
    names = [name for name, _where in programme.cohorts]
    cohort_ids = dict(
        db.session.execute(sa.select(Cohort.name, Cohort.id).where(Cohort.name.in_(names))).all()
    )
    wanted = {(None, code) for code, _where in programme.regions} | {
        (cohort_ids[name], None) for name in names
    }
    for invite in list(seminar.invites):
        if (invite.cohort_id, invite.region_id) in wanted:
            wanted.discard((invite.cohort_id, invite.region_id))
        else:
            seminar.invites.remove(invite)
    db.session.flush()
    for cohort_id, region in sorted(wanted, key=str):
        seminar.invites.append(SeminarInvite(cohort_id=cohort_id, region_id=region))


def _apply_sessions(seminar: Seminar, programme: ProgrammeSource, display: str, report: ImportReport) -> None:
    existing = {session.key: session for session in seminar.sessions}
    wanted = {source.key for source in programme.sessions}
    gone = [session for key, session in existing.items() if key not in wanted]
    in_use = sessions_with_records([session.id for session in gone])
    refused = [session for session in gone if session.id in in_use]
    if refused:
        raise ContentError(
            [
                Problem(
                    display,
                    1,
                    1,
                    "E930",
                    f"session {session.key!r} is no longer listed but has attendance marks:"
                    " list it again (it may move or change), or delete the marks first",
                )
                for session in refused
            ]
        )
    for session in gone:
        seminar.sessions.remove(session)
        report.sessions_removed += 1
    db.session.flush()
    for source in programme.sessions:
        session = existing.get(source.key)
        if session is None:
            session = SeminarSession(key=source.key)
            seminar.sessions.append(session)
            report.sessions_added += 1
        _fill_session(session, source)
    db.session.flush()
    courses = {
        key: course_id
        for key, course_id in db.session.execute(
            sa.select(Course.key, Course.id).where(
                Course.key.in_({link.course for source in programme.sessions for link in source.links})
            )
        )
    }
    by_key = {session.key: session for session in seminar.sessions}
    for source in programme.sessions:
        _apply_links(by_key[source.key], source, courses)


def _fill_session(session: SeminarSession, source: SessionSource) -> None:
    session.day = source.day
    session.position = source.position
    session.title = source.title
    session.starts_at = source.starts_at
    session.ends_at = source.ends_at
    session.room = source.room
    session.online_url = source.online_url
    session.topics = list(source.topics)
    session.speakers = [dict(speaker) for speaker in source.speakers]
    session.description_md = source.description_md
    session.description_html = source.description_html


def _apply_links(session: SeminarSession, source: SessionSource, courses: dict[str, int]) -> None:
    """Keep the links that stay (by course, module, item and relation), delete the others first,
    then add the new ones: never two equal rows, even for a moment."""
    wanted = {
        (courses[link.course], link.module, link.item, link.relation): link.due_days for link in source.links
    }
    for link in list(session.links):
        identity = (link.course_id, link.module_key, link.item_key, link.relation)
        if identity in wanted:
            link.due_days = wanted.pop(identity)
        else:
            session.links.remove(link)
    db.session.flush()
    for (course_id, module, item, relation), due in wanted.items():
        session.links.append(
            SessionLink(
                course_id=course_id, module_key=module, item_key=item, relation=relation, due_days=due
            )
        )

"""Import the course tree into SQL: incremental, all-or-nothing, keeping progress on edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from lms.content import assets
from lms.content.counts import refresh_counts
from lms.content.loader import load_tree
from lms.content.models import ContentMixin, ContentRename, Course, Lesson, Module
from lms.content.problems import ContentError, Problem
from lms.content.references import known_keys
from lms.content.registry import ITEM_KINDS
from lms.content.render import Rendered
from lms.content.signals import courses_in_use, ids_in_use, lessons_in_use
from lms.content.sources import CourseSource, LessonSource, ModuleSource
from lms.core.time import utcnow
from lms.extensions import db


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    assets_uploaded: int = 0

    def lines(self) -> list[str]:
        out = []
        for label in ("added", "changed", "renamed", "restored", "archived", "deleted"):
            items = getattr(self, label)
            if items:
                out.append(f"{label} ({len(items)}): " + ", ".join(items))
        out.append(f"unchanged: {self.unchanged}")
        if self.assets_uploaded:
            out.append(f"assets uploaded: {self.assets_uploaded}")
        return out

    @property
    def touched(self) -> bool:
        return any((self.added, self.changed, self.archived, self.deleted, self.restored, self.renamed))


def _as_rendered(row: ContentMixin) -> Rendered:
    data = {**(row.render_meta or {}), "html": row.html, "toc": row.toc or []}
    if isinstance(row, Lesson):
        data["payload"] = row.payload or {}
    return Rendered.from_dict(data)


def _meta(rendered: Rendered) -> dict:
    data = rendered.to_dict()
    for stored_elsewhere in ("html", "toc", "payload"):
        data.pop(stored_elsewhere, None)
    return data


class _Index:
    """Existing rows of one model by key, resolving `renamed_from` to the row to carry over."""

    def __init__(self, rows: list[ContentMixin]) -> None:
        self.by_key = {row.key: row for row in rows}
        self.seen: set[int] = set()

    def find(self, key: str, renamed_from: list[str]) -> tuple[ContentMixin | None, str | None]:
        row = self.by_key.get(key)
        if row is not None:
            return row, None
        for old_key in renamed_from:
            row = self.by_key.get(old_key)
            if row is not None and id(row) not in self.seen:
                return row, old_key
        return None, None


def render_cache() -> dict[str, Rendered]:
    """Every imported rendering by its render key: the loader re-renders only changed files."""
    rows = (
        *db.session.scalars(sa.select(Course)),
        *db.session.scalars(sa.select(Module)),
        *db.session.scalars(sa.select(Lesson)),
    )
    return {row.render_key: _as_rendered(row) for row in rows}


def sync_tree(root: Path, *, display_prefix: str | None = None) -> SyncReport:
    """Load, check and import every course under root; raise ContentError and write nothing on errors.

    Keys the courses name but other domains own (a seminar) are checked against what those domains
    know: in the database, and on disk to be imported in the same run (SEMINARS_DIR)."""
    courses = list(db.session.scalars(sa.select(Course)))
    modules = list(db.session.scalars(sa.select(Module)))
    lessons = list(db.session.scalars(sa.select(Lesson)))
    cache = {row.render_key: _as_rendered(row) for row in (*courses, *modules, *lessons)}
    result = load_tree(root, display_prefix=display_prefix, cache=cache, known=known_keys())
    if result.errors:
        raise ContentError(result.errors)
    report = SyncReport(warnings=[str(problem) for problem in result.warnings])
    syncer = _Syncer(report, _Index(courses), _Index(modules), _Index(lessons), result.rendered)
    for course_source in result.courses:
        syncer.course(course_source)
    syncer.retire_missing()
    return _finish(syncer, root)


def sync_course(root: Path, folder: str, *, display_prefix: str | None = None) -> SyncReport:
    """Import one course folder under root by the same rules as `sync_tree` (publishing from the
    browser): the whole tree is loaded, so ids and prerequisites are checked across courses, but
    only this course's errors refuse it and only its rows are added, changed or retired."""
    courses = list(db.session.scalars(sa.select(Course)))
    modules = list(db.session.scalars(sa.select(Module)))
    lessons = list(db.session.scalars(sa.select(Lesson)))
    cache = {row.render_key: _as_rendered(row) for row in (*courses, *modules, *lessons)}
    result = load_tree(root, display_prefix=display_prefix, cache=cache, known=known_keys())
    prefix = f"{display_prefix}/{folder}/" if display_prefix else f"{folder}/"
    errors = [problem for problem in result.errors if problem.path.startswith(prefix)]
    if errors:
        raise ContentError(errors)
    source = next((course for course in result.courses if course.folder == folder), None)
    if source is None:
        raise ContentError([Problem(prefix.rstrip("/"), 1, 1, "E200", "course folder not found")])
    report = SyncReport(
        warnings=[str(problem) for problem in result.warnings if problem.path.startswith(prefix)]
    )
    syncer = _Syncer(report, _Index(courses), _Index(modules), _Index(lessons), result.rendered)
    course = syncer.course(source)
    # Rows of other courses are looked up (an item moved in keeps its row) but never retired here.
    syncer.retire_missing(within=course)
    return _finish(syncer, root)


def _finish(syncer: _Syncer, root: Path) -> SyncReport:
    """What every import does once its rows are in place: assets, the kinds' steps, the counts."""
    db.session.flush()
    for course, course_source in syncer.imported:
        _sync_assets(root, course, course_source, syncer.report)
    for kind in ITEM_KINDS.values():  # each kind's post-import step (a quiz pins its questions)
        kind.after_import([row for row in syncer.touched_lessons if row.kind == kind.name])
    for course in syncer.courses_to_refresh:
        refresh_counts(course, outline_changed=course in syncer.outlines_changed)
    _record_renames(syncer.renames, syncer.now)
    db.session.flush()
    return syncer.report


def _record_renames(renames: list[tuple[str, str]], now: datetime) -> None:
    """Keep each old id's way to its row's id now: earlier names of a renamed row follow it (a → b
    then b → c: a leads to c), and an old id that is live again leads nowhere but to itself."""
    for old_key, new_key in renames:
        db.session.execute(
            sa.update(ContentRename).where(ContentRename.new_key == old_key).values(new_key=new_key)
        )
        db.session.merge(ContentRename(old_key=old_key, new_key=new_key, renamed_at=now))
    db.session.flush()
    live = sa.union_all(sa.select(Course.key), sa.select(Module.key), sa.select(Lesson.key))
    db.session.execute(sa.delete(ContentRename).where(ContentRename.old_key.in_(live)))


def _sync_assets(root: Path, course: Course, source: CourseSource, report: SyncReport) -> None:
    """Store the files the course's pages show and put their versions into the pages' URLs; a
    page whose images changed gets a new `updated_at`, so its cached fragments are rendered anew."""
    lessons = list(db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)))
    rows: list[ContentMixin] = [course, *course.modules, *lessons]
    pages = [row.html for row in rows]
    pages += [text for lesson in lessons for text in assets.payload_strings(lesson.payload)]
    stored = assets.store_course_assets(
        course, root / source.folder, assets.referenced_paths(course.key, pages), within=root
    )
    report.assets_uploaded += stored.uploaded
    now = utcnow()
    for row in rows:
        page = assets.versioned(row.html, course.key, stored.hashes)
        if page != row.html:
            row.html = page
            row.updated_at = now


class _Syncer:
    def __init__(
        self,
        report: SyncReport,
        courses: _Index,
        modules: _Index,
        lessons: _Index,
        rendered: dict[str, Rendered],
    ) -> None:
        self.report = report
        self.rendered = rendered
        self.courses = courses
        self.modules = modules
        self.lessons = lessons
        self.courses_to_refresh: set[Course] = set()
        self.outlines_changed: set[Course] = set()  # a module or item of theirs changed, came or went
        self.imported: list[tuple[Course, CourseSource]] = []
        self.touched_lessons: list[Lesson] = []
        self.renames: list[tuple[str, str]] = []  # (old id, new id) of this import's renames
        self.now = utcnow()

    def _apply(self, index: _Index, model: type, source, label: str, fields: dict) -> ContentMixin:
        """Create or update one row from its source, recording what happened in the report."""
        row, old_key = index.find(source.id, source.renamed_from)
        name = f"{label} {source.id}"
        if row is None:
            row = model(key=source.id)
            db.session.add(row)
            self.report.added.append(name)
        else:
            index.seen.add(id(row))
            if old_key is not None:
                self.report.renamed.append(f"{label} {old_key} → {source.id}")
                row.key = source.id
                self.renames.append((old_key, source.id))
            if row.archived_at is not None:
                row.archived_at = None
                self.report.restored.append(name)
                if model is not Course:
                    self.outlines_changed.add(fields["course"])
            elif row.source_hash != source.source_hash and old_key is None:
                self.report.changed.append(name)
            elif old_key is None:
                self.report.unchanged += 1
        index.seen.add(id(row))
        if row.source_hash is not None and row.source_hash != source.source_hash:
            row.version = (row.version or 1) + 1
        rendered = self.rendered.get(source.render_key) or Rendered(source.html)
        common = {
            "title": source.title,
            "summary": source.summary or "",
            "position": source.position,
            "source_path": source.rel_path,
            "source_hash": source.source_hash,
            "render_key": source.render_key,
            "html": rendered.html,
            "toc": rendered.toc,
            "render_meta": _meta(rendered),
        }
        if model is Lesson:
            common["payload"] = getattr(rendered, "payload", None) or {}
        for key, value in {**common, **fields}.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                if key not in ("html", "toc", "render_meta", "render_key", "source_hash", "payload"):
                    row.updated_at = self.now
                    if model is not Course:
                        self.outlines_changed.add(fields["course"])
        return row

    def course(self, source: CourseSource) -> Course:
        course = self._apply(
            self.courses,
            Course,
            source,
            "course",
            {
                "folder": source.folder,
                "audience": source.audience or "",
                "estimated_hours": source.estimated_hours,
                "completion_kind": source.completion.kind,
                "completion_percent": source.completion.percent,
                "completion_items": list(source.completion.kinds),
                "completion_requirements": source.completion.requirements,
                "lesson_completion": source.lesson_completion,
                "requires": source.requires,
                "opens_on": source.opens,
            },
        )
        self.courses_to_refresh.add(course)  # cheap: one grouped query per course
        self.imported.append((course, source))
        for module_source in source.modules:
            self.module(course, module_source)
        return course  # type: ignore[return-value]

    def module(self, course: Course, source: ModuleSource) -> None:
        previous_course = getattr(self.modules.by_key.get(source.id), "course", None)
        module = self._apply(
            self.modules,
            Module,
            source,
            "module",
            {
                "course": course,
                "folder": source.folder,
                "requires": source.requires,
                "opens_on": source.opens,
            },
        )
        if previous_course is not None and previous_course is not course:
            self.courses_to_refresh.add(previous_course)
            self.outlines_changed.add(previous_course)
        for lesson_source in source.lessons:
            self.lesson(course, module, lesson_source)

    def lesson(self, course: Course, module: Module, source: LessonSource) -> None:
        existing = self.lessons.by_key.get(source.id)
        if existing is not None and existing.course is not course:
            self.courses_to_refresh.add(existing.course)
            self.outlines_changed.add(existing.course)
        row = self._apply(
            self.lessons,
            Lesson,
            source,
            "lesson",
            {
                "module": module,
                "course": course,
                "kind": source.kind,
                "minutes": source.minutes,
                "complete_mode": source.complete,
                "path_in_course": source.path_in_course,
            },
        )
        self.touched_lessons.append(row)

    def retire_missing(self, *, within: Course | None = None) -> None:
        """Rows whose files are gone: archived when another domain keeps records about them (progress:
        someone opened the lesson, is enrolled on the course), else deleted. `within`: only that
        course's modules and items (one course imported), no course retired."""
        gone_lessons = [row for row in self.lessons.by_key.values() if id(row) not in self.lessons.seen]
        gone_modules = [row for row in self.modules.by_key.values() if id(row) not in self.modules.seen]
        gone_courses = [row for row in self.courses.by_key.values() if id(row) not in self.courses.seen]
        if within is not None:
            # A course new to the database (id None) has no rows to retire.
            gone_lessons = [row for row in gone_lessons if row.course_id == within.id]
            gone_modules = [row for row in gone_modules if row.course_id == within.id]
            gone_courses = []
        lesson_ids = [row.id for row in gone_lessons]
        with_progress = ids_in_use(lessons_in_use, lesson_ids=lesson_ids) if lesson_ids else set()
        kept_modules: set[int] = set()
        for lesson in gone_lessons:
            self.courses_to_refresh.add(lesson.course)
            if lesson.archived_at is None:  # it was listed until now
                self.outlines_changed.add(lesson.course)
            if lesson.id in with_progress:
                kept_modules.add(lesson.module_id)
                if lesson.archived_at is None:
                    lesson.archived_at = self.now
                    self.report.archived.append(f"lesson {lesson.key}")
            else:
                self._delete(lesson, "lesson")
        for module in gone_modules:
            if module.archived_at is None:
                self.outlines_changed.add(module.course)
            still_has_rows = module.id in kept_modules or any(
                id(lesson) in self.lessons.seen for lesson in module.lessons
            )
            if still_has_rows:
                if module.archived_at is None:
                    module.archived_at = self.now
                    self.report.archived.append(f"module {module.key}")
            else:
                self._delete(module, "module")
        course_ids = [row.id for row in gone_courses]
        enrolled = ids_in_use(courses_in_use, course_ids=course_ids) if course_ids else set()
        for course in gone_courses:
            self.courses_to_refresh.discard(course)
            if course.id in enrolled:
                if course.archived_at is None:
                    course.archived_at = self.now
                    self.report.archived.append(f"course {course.key}")
            else:
                self._delete(course, "course")

    def _delete(self, row: ContentMixin, label: str) -> None:
        if row.archived_at is None:
            self.report.deleted.append(f"{label} {row.key}")
        db.session.delete(row)

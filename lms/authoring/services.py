"""Lint, preview and the course tree, all read from the effective tree (disk + drafts).

Everything goes through content's loader, the very pipeline of `flask lms check` and `flask lms
import`: the editor shows what publishing would import, problems as `path:line:col: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.accounts.models import User
from lms.authoring import rights
from lms.authoring.drafts import course_drafts, effective_tree, normalise
from lms.authoring.files import PathRefused, courses_root, read_disk, resolve
from lms.authoring.models import Draft
from lms.content.loader import COURSE_FILE, load_tree
from lms.content.models import Course, Lesson, Module
from lms.content.problems import Problem
from lms.content.references import known_keys
from lms.content.sources import CourseSource, DocumentSource, LessonSource
from lms.content.sync import render_cache
from lms.extensions import db


@dataclass
class PreviewItem:
    """One file of the effective tree as the importer would store it."""

    rel: str
    kind: str  # "course", "module", or an item kind ("lesson", "quiz", ...)
    key: str
    title: str
    html: str
    toc: list = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    minutes: int | None = None
    course_key: str = ""
    course_title: str = ""
    module_title: str = ""


@dataclass
class Checked:
    """A course's effective tree, loaded: its problems, and the file asked for (if it loaded)."""

    problems: list[Problem]
    item: PreviewItem | None
    course: CourseSource | None

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]


def _in_course(problem: Problem, course_dir: str) -> bool:
    return problem.path == course_dir or problem.path.startswith(course_dir + "/")


def _find(course: CourseSource, rel: str) -> PreviewItem | None:
    def item(doc: DocumentSource, kind: str, module_title: str = "") -> PreviewItem:
        lesson = doc if isinstance(doc, LessonSource) else None
        return PreviewItem(
            rel=doc.rel_path,
            kind=kind,
            key=doc.id,
            title=doc.title,
            html=doc.html,
            toc=doc.toc,
            payload=lesson.payload if lesson else {},
            minutes=lesson.minutes if lesson else None,
            course_key=course.id,
            course_title=course.title,
            module_title=module_title,
        )

    if course.rel_path == rel:
        return item(course, "course")
    for module in course.modules:
        if module.rel_path == rel:
            return item(module, "module", module.title)
        for lesson in module.lessons:
            if lesson.rel_path == rel:
                return item(lesson, lesson.kind, module.title)
    return None


def check_course(course_dir: str, rel: str | None = None, text: str | None = None) -> Checked:
    """Load the course as it would be published, with `text` (the editor's unsaved text) laid over
    `rel`; problems are this course's only, paths relative to COURSES_DIR."""
    with effective_tree(course_dir) as root:
        if rel is not None and text is not None:
            resolve(rel)
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(normalise(text), encoding="utf-8")
        # The same keys publishing checks (a course's seminar: in the database or in SEMINARS_DIR).
        result = load_tree(
            root, display_prefix="", cache=render_cache(), known=known_keys(), links_to=courses_root()
        )
    problems = [problem for problem in result.problems if _in_course(problem, course_dir)]
    course = next((c for c in result.loaded if c.folder == course_dir), None)
    item = _find(course, rel) if course is not None and rel is not None else None
    return Checked(problems, item, course)


def problems_by_line(problems: list[Problem], rel: str) -> list[Problem]:
    """This file's problems, errors first, then by line."""
    return sorted((p for p in problems if p.path == rel), key=lambda p: (not p.is_error, p.line, p.col))


# --- the course tree ---------------------------------------------------------------------------


@dataclass
class FileState:
    """One course file on the tree page, with every state that applies to it."""

    rel: str
    kind: str
    title: str
    draft: bool = False
    removed: bool = False  # its draft removes it (its item moved to another module)
    errors: int = 0
    # On disk but differing from what the database imported (or never imported): `git pull`ed.
    changed_on_disk: bool = False
    published: bool = False
    children: list[FileState] = field(default_factory=list)


@dataclass
class CourseTree:
    course_dir: str
    root: FileState | None  # None: course.md missing or unreadable
    loose: list[FileState]  # files in the folder the tree does not list (or could not load)
    problems: list[Problem]
    drafts: int

    @property
    def errors(self) -> int:
        return sum(problem.is_error for problem in self.problems)


def course_folders(user: User) -> list[str]:
    """Course folders under COURSES_DIR (or with drafts) this user may author, sorted."""
    root = courses_root()
    names = {
        p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    }
    names |= set(db.session.scalars(sa.select(Draft.course_dir).distinct()))
    allowed = rights.authorable_folders(user)
    folders = []
    for name in sorted(names):
        if allowed is not None and name not in allowed:
            continue
        try:
            resolve(f"{name}/{COURSE_FILE}")
        except PathRefused:
            continue
        folders.append(name)
    return folders


def _imported_hashes(course_dir: str) -> dict[str, str]:
    """source_path -> source_hash of every live row imported from this folder."""
    hashes: dict[str, str] = {}
    for model in (Course, Module, Lesson):
        rows = db.session.execute(
            sa.select(model.source_path, model.source_hash).where(
                model.source_path.startswith(course_dir + "/", autoescape=True), model.archived_at.is_(None)
            )
        )
        hashes.update({path: digest for path, digest in rows})
    return hashes


def course_tree(course_dir: str) -> CourseTree:
    """The course's modules and items as publishing would import them, each with its states."""
    checked = check_course(course_dir)
    all_drafts = course_drafts(course_dir)
    drafts = {draft.path for draft in all_drafts}
    removals = {draft.path for draft in all_drafts if draft.removed}
    imported = _imported_hashes(course_dir)
    errors: dict[str, int] = {}
    for problem in checked.errors:
        errors[problem.path] = errors.get(problem.path, 0) + 1
    seen: set[str] = set()

    def state(rel: str, kind: str, title: str) -> FileState:
        seen.add(rel)
        try:
            _, disk_hash = read_disk(rel)
        except PathRefused:  # a symlinked file: listed, never opened
            disk_hash = None
        stored = imported.get(rel)
        changed = disk_hash is not None and stored != disk_hash
        return FileState(
            rel=rel,
            kind=kind,
            title=title or rel.rsplit("/", 1)[-1],
            draft=rel in drafts,
            removed=rel in removals,
            errors=errors.get(rel, 0),
            changed_on_disk=changed,
            published=stored is not None and stored == disk_hash and rel not in drafts,
        )

    root_state = None
    course = checked.course
    if course is not None:
        root_state = state(course.rel_path, "course", course.title)
        for module in course.modules:
            module_state = state(module.rel_path, "module", module.title)
            module_state.children = [state(item.rel_path, item.kind, item.title) for item in module.lessons]
            root_state.children.append(module_state)
    loose = []
    folder = courses_root() / course_dir
    on_disk = set()
    if folder.is_dir():
        on_disk = {p.relative_to(courses_root()).as_posix() for p in folder.rglob("*.md")}
    for rel in sorted((on_disk | drafts) - seen):
        loose.append(state(rel, "file", ""))
    return CourseTree(course_dir, root_state, loose, checked.problems, len(drafts))

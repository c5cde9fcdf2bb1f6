"""The plain data a load returns (courses, modules, items, problems), apart from the code that reads files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lms.content.problems import ContentError, Problem
from lms.content.render import LinkRef, Rendered
from lms.content.schema import EVERY_KIND


@dataclass(kw_only=True)
class DocumentSource:
    """What every course, module and item file brings to the sync: its identity, hashes and the
    rendered body with the links and images found in it."""

    id: str
    title: str
    summary: str
    renamed_from: list[str]
    rel_path: str  # posix, relative to the courses root (of course.md / module.md for folders)
    source_hash: str
    render_key: str
    position: int
    html: str
    toc: list[dict] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    images: list[LinkRef] = field(default_factory=list)


@dataclass(kw_only=True)
class LessonSource(DocumentSource):
    """One module item (a lesson, quiz, scenario or assignment), ready to be synced."""

    kind: str
    minutes: int | None
    complete: str  # "button" | "view": the lesson's own setting, else the course default
    path_in_course: str
    front_matter: dict
    payload: dict = field(default_factory=dict)  # the kind's data (a quiz's policy and questions)


@dataclass(kw_only=True)
class ModuleSource(DocumentSource):
    """One module folder with its items in listed order."""

    folder: str  # path in course
    requires: list[dict] = field(default_factory=list)
    opens: date | None = None
    lessons: list[LessonSource] = field(default_factory=list)


@dataclass
class CompletionRule:
    """When a course counts as completed."""

    kind: str  # "all" | "percent" | "items"
    percent: int = 100
    # The item kinds that count ("items": those the rule names; otherwise every kind).
    kinds: tuple[str, ...] = EVERY_KIND
    # What else must hold, named by content and answered above it (lms.content.schema.Requirement):
    # [{"kind": "attendance", "seminar": "vybory-2027", "percent": None}].
    requirements: list[dict] = field(default_factory=list)


@dataclass(kw_only=True)
class CourseSource(DocumentSource):
    """One course folder with its modules in listed order."""

    audience: str
    estimated_hours: float | None
    completion: CompletionRule
    lesson_completion: str
    folder: str  # folder name under the courses root
    requires: list[dict] = field(default_factory=list)
    opens: date | None = None
    modules: list[ModuleSource] = field(default_factory=list)


@dataclass
class LoadResult:
    """Courses without errors, every problem found, and renderings to cache by render key."""

    courses: list[CourseSource]
    problems: list[Problem]
    rendered: dict[str, Rendered] = field(default_factory=dict)
    # Every course whose course.md parsed, errors or not, for editors' previews and trees.
    loaded: list[CourseSource] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def raise_for_errors(self) -> None:
        """Raise ContentError listing every error, so nothing half-valid gets imported."""
        if self.errors:
            raise ContentError(self.errors)

"""Whether a programme's links point at real courses, modules and items: checked against a
`Catalogue`, the course tree for `flask lms check` (no database) or the database for the import
(lms.seminars.importer). Pure like the reader (lms.seminars.programme)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lms.content.problems import Problem
from lms.content.sources import CourseSource
from lms.seminars.programme import programme_files, read_programme
from lms.seminars.programme_schema import ProgrammeSource, Where


@dataclass(frozen=True)
class CourseRef:
    """What a programme may link in one course: its module ids and its items' ids with kinds,
    the items of each module."""

    key: str
    modules: frozenset[str]
    items: dict[str, str]  # item id -> kind
    module_items: dict[str, frozenset[str]]


class Catalogue(Protocol):
    """Looks courses up by key (the course tree or the database)."""

    def course(self, key: str) -> CourseRef | None: ...


def check_links(programme: ProgrammeSource, catalogue: Catalogue, display: str) -> list[Problem]:
    """Every linked course, module and item exists (and a survey link is a survey)."""
    problems: list[Problem] = []

    def add(where: Where, code: str, message: str) -> None:
        problems.append(Problem(display, where.line, where.col, code, message))

    for session in programme.sessions:
        for link in session.links:
            course = catalogue.course(link.course)
            spot = link.at.get
            if course is None:
                message = f"course {link.course!r} not found: is it in the courses folder (and imported)?"
                add(spot("course", link.where), "E920", message)
                continue
            if link.module and link.module not in course.modules:
                add(
                    spot("module", link.where),
                    "E921",
                    f"course {link.course!r} has no module {link.module!r}",
                )
                continue
            if link.item:
                kind = course.items.get(link.item)
                if kind is None:
                    add(spot("item", link.where), "E922", f"course {link.course!r} has no item {link.item!r}")
                elif link.module and link.item not in course.module_items.get(link.module, frozenset()):
                    add(
                        spot("item", link.where),
                        "E923",
                        f"item {link.item!r} is not in module {link.module!r}",
                    )
                elif link.relation == "survey" and kind != "survey":
                    add(spot("item", link.where), "E924", f"item {link.item!r} is a {kind}, not a survey")
    return problems


@dataclass(frozen=True)
class TreeCatalogue:
    """The courses of a loaded course tree (`flask lms check` has no database)."""

    courses: dict[str, CourseRef]

    @classmethod
    def of(cls, courses: list[CourseSource]) -> TreeCatalogue:
        refs = {}
        for course in courses:
            items = {lesson.id: lesson.kind for module in course.modules for lesson in module.lessons}
            module_items = {
                module.id: frozenset(lesson.id for lesson in module.lessons) for module in course.modules
            }
            refs[course.id] = CourseRef(course.id, frozenset(module_items), items, module_items)
        return cls(refs)

    def course(self, key: str) -> CourseRef | None:
        return self.courses.get(key)


def check_folder(root: Path, catalogue: Catalogue, *, display_prefix: str | None = None) -> list[Problem]:
    """Every problem of every programme in `root`, for `flask lms check`."""
    prefix = root.as_posix() if display_prefix is None else display_prefix
    problems: list[Problem] = []
    for path in programme_files(root):
        display = f"{prefix}/{path.name}" if prefix else path.name
        programme, found = read_programme(path, path.name, display, within=root.resolve())
        problems.extend(found)
        if programme is not None:
            problems.extend(check_links(programme, catalogue, display))
    return sorted(set(problems))

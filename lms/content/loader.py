"""Read the whole courses tree, check everything, render, and return plain data.

No Flask, no database: the sync code imports a `LoadResult` only when it has no errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from lms.content.frontmatter import (
    FRONT_MATTER_LINE,
    SourceFile,
    check_fields,
    decode,
    read_source,
    split_front_matter,
)
from lms.content.gates import Gate, TreeIndex, check_gates
from lms.content.lessons import LESSON
from lms.content.lint import CourseDocs, Doc, check_body, check_course_refs, check_ids
from lms.content.problems import WARNING, ContentError, Problem
from lms.content.references import NamedKey, check_named_keys, named_in_completion
from lms.content.registry import ITEM_KINDS, ItemKind
from lms.content.render import RENDERER_VERSION, CourseUrlPolicy, Rendered, render_markdown
from lms.content.schema import (
    COURSE_FIELDS,
    EVERY_KIND,
    FOLDER_LENGTH,
    ID_PATTERN,
    ITEM_FIELDS,
    MODULE_FIELDS,
    PATH_LENGTH,
)
from lms.content.sources import CompletionRule, CourseSource, LessonSource, LoadResult, ModuleSource

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"


def render_key(course_id: str, rel_path: str, source_hash: str) -> str:
    """Cache key of a rendering: changes with the renderer, the course URL prefix or the file."""
    parts = (RENDERER_VERSION, course_id, rel_path, source_hash)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _rendered_fields(doc: Doc) -> dict[str, Any]:
    rendered = doc.rendered or Rendered(html="")
    return {"html": rendered.html, "toc": rendered.toc, "links": rendered.links, "images": rendered.images}


def _is_module_folder(path: Path) -> bool:
    return path.is_dir() and (path / MODULE_FILE).is_file()


def _is_item_file(path: Path) -> bool:
    return path.suffix == ".md" and path.name != MODULE_FILE and path.is_file()


def _is_plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def _too_long(folder: Path, name: str, *, is_dir: bool) -> str:
    """Why a listed module folder or item file would not fit its column, or "" (PostgreSQL refused
    the row with a traceback at import; SQLite kept it whole)."""
    if is_dir and len(name) > FOLDER_LENGTH:
        limit = f"at most {FOLDER_LENGTH} characters (this one has {len(name)})"
        return f"module folder name '{name}' is too long: {limit}"
    path = f"{folder.parent.name}/{folder.name}/{name}"
    if not is_dir and len(path) > PATH_LENGTH:
        limit = f"at most {PATH_LENGTH} characters (this one has {len(path)})"
        return f"'{name}' makes the path {path} too long: {limit}"
    return ""


class _TreeLoader:
    """One load: keeps the cache, the renderings made and every parsed document."""

    def __init__(
        self, root: Path, prefix: str, cache: Mapping[str, Rendered], links_to: Path | None = None
    ) -> None:
        self.root = root
        # What symlinks may lead to (lms.content.frontmatter.resolves_outside): the tree, and the
        # folder its links were made to stand for (authoring's effective tree links other courses).
        self.within = (root.resolve(),) if links_to is None else (root.resolve(), links_to.resolve())
        self.prefix = prefix
        self.cache = cache
        self.rendered: dict[str, Rendered] = {}
        self.docs: list[Doc] = []
        self.problems: list[Problem] = []
        self.gates: list[Gate] = []
        self.named: list[NamedKey] = []  # keys other domains own (a seminar), checked at the end
        self.tree = TreeIndex()

    def display(self, rel_path: str) -> str:
        return f"{self.prefix}/{rel_path}" if self.prefix else rel_path

    def read(self, rel_path: str, doc_dir: str) -> Doc:
        """Parse one file; documents are kept in tree order for the id checks."""
        source = read_source(self.root / rel_path, rel_path, self.display(rel_path), within=self.within)
        doc = Doc(source, None, doc_dir)
        self.docs.append(doc)
        return doc

    def render(
        self, doc: Doc, course_id: str, kind: ItemKind | None = None, values: dict[str, Any] | None = None
    ) -> str:
        """Render a parsed body, from the cache when unchanged; return its render key.

        An item is parsed and rendered by its kind's body hook (a quiz's questions), course and
        module files as one Markdown text. An item's rendering is kept for the cache only when
        the hook found no error: an unchanged broken file must report its errors again on the
        next load. Its kind's lint hook runs either way.
        """
        source = doc.source
        key = render_key(course_id, source.rel_path, source.source_hash)
        if source.parsed:
            rendered = self.cache.get(key)
            cacheable = True
            if rendered is None:
                render = partial(render_markdown, doc_dir=doc.doc_dir, policy=CourseUrlPolicy(course_id))
                if kind is None:
                    rendered = render(source.body)
                else:
                    errors = sum(p.is_error for p in source.problems)
                    rendered = kind.body(source, values or {}, render)
                    cacheable = sum(p.is_error for p in source.problems) == errors
            doc.rendered = rendered
            if cacheable:
                self.rendered[key] = rendered
            check_body(doc)
            if kind is not None:
                kind.lint(doc)
        return key

    def load_course(self, folder: Path, position: int) -> CourseSource | None:
        rel_path = f"{folder.name}/{COURSE_FILE}"
        doc = self.read(rel_path, "")
        source = doc.source
        if len(folder.name) > FOLDER_LENGTH:  # no listing names it: said at the top of course.md
            message = f"the course folder's name is too long: at most {FOLDER_LENGTH} characters"
            source.add("E216", f"{message} (this one has {len(folder.name)})")
        values = check_fields(source, COURSE_FIELDS) if source.parsed else {}
        # Without a valid id the course is dropped anyway; the folder name keeps its links checkable.
        course_id = values.get("id") or folder.name
        key = self.render(doc, course_id)
        completion_kind, percent, kinds, extra = values.get("completion", ("all", 100, EVERY_KIND, []))
        course = CourseSource(
            id=course_id,
            title=values.get("title", ""),
            summary=values.get("summary", ""),
            audience=values.get("audience", ""),
            estimated_hours=values.get("estimated_hours"),
            completion=CompletionRule(completion_kind, percent, kinds, extra),
            lesson_completion=values.get("lesson_completion", "button"),
            renamed_from=values.get("renamed_from", []),
            folder=folder.name,
            rel_path=rel_path,
            requires=values.get("requires", []),
            opens=values.get("opens"),
            source_hash=source.source_hash,
            render_key=key,
            position=position,
            **_rendered_fields(doc),
        )
        self.tree.courses.add(course_id)
        self.named += named_in_completion(source, extra)
        self.gates.append(Gate("course", course_id, course_id, course.requires, course.opens, source))
        docs = CourseDocs(folder=folder, within=self.within)
        docs.docs.append(doc)
        if "modules" in values:
            listed = self._listed_names(source, "modules", values, is_dir=True, folder=folder)
            self._warn_unlisted(source, "modules", folder, values["modules"], _is_module_folder)
        else:  # course.md is broken: still check every module on disk, to report all at once
            listed = [path.name for path in sorted(folder.iterdir()) if _is_module_folder(path)]
        for name in listed:
            module = self.load_module(course, docs, name, len(course.modules))
            if module is not None:
                course.modules.append(module)
        check_course_refs(docs)
        return course if source.parsed else None

    def load_module(
        self, course: CourseSource, docs: CourseDocs, name: str, position: int
    ) -> ModuleSource | None:
        rel_path = f"{course.folder}/{name}/{MODULE_FILE}"
        doc = self.read(rel_path, name)
        key = self.render(doc, course.id)
        docs.docs.append(doc)
        source = doc.source
        values = check_fields(source, MODULE_FIELDS) if source.parsed else {}
        module = ModuleSource(
            id=values.get("id", ""),
            title=values.get("title", ""),
            summary=values.get("summary", ""),
            renamed_from=values.get("renamed_from", []),
            folder=name,
            rel_path=rel_path,
            requires=values.get("requires", []),
            opens=values.get("opens"),
            source_hash=source.source_hash,
            render_key=key,
            position=position,
            **_rendered_fields(doc),
        )
        if module.id:
            self.tree.module_course[module.id] = course.id
            self.tree.course_modules.setdefault(course.id, []).append(module.id)
            self.gates.append(Gate("module", module.id, course.id, module.requires, module.opens, source))
        folder = docs.folder / name
        if "items" in values:
            listed = self._listed_names(source, "items", values, is_dir=False, folder=folder)
            self._warn_unlisted(source, "items", folder, values["items"], _is_item_file)
        else:  # module.md is broken: still check every Markdown file in the folder
            listed = [path.name for path in sorted(folder.iterdir()) if _is_item_file(path)]
        for file_name in listed:
            path_in_course = f"{name}/{file_name}"
            lesson = self.load_item(course, docs, path_in_course, len(module.lessons))
            if lesson is not None:
                module.lessons.append(lesson)
                if lesson.id and module.id:
                    self.tree.item_module[lesson.id] = module.id
                    self.tree.item_kind[lesson.id] = lesson.kind
        return module if source.parsed else None

    def load_item(
        self, course: CourseSource, docs: CourseDocs, path_in_course: str, position: int
    ) -> LessonSource | None:
        rel_path = f"{course.folder}/{path_in_course}"
        doc = self.read(rel_path, path_in_course.rsplit("/", 1)[0])
        source = doc.source
        kind: ItemKind | None = None
        values: dict[str, Any] = {}
        if source.parsed:
            kind_name = source.front_matter.get("type", "lesson")
            kind = ITEM_KINDS.get(kind_name) if isinstance(kind_name, str) else None
            type_node = source.nodes["type"][1] if kind is None else None
            # A list or mapping is E108 from the field check. Its repr is not shown: YAML aliases
            # let ten lines of `type:` stand for a list whose repr takes gigabytes.
            if isinstance(type_node, yaml.ScalarNode):
                known = ", ".join(sorted(ITEM_KINDS))
                if type_node.value.strip():
                    message = f"unknown item type {type_node.value!r} (known: {known})"
                else:
                    message = f"'type' is empty: leave it out for a lesson, or write one of: {known}"
                source.add_at(type_node, "E209", message)
            values = check_fields(source, kind.all_fields() if kind else ITEM_FIELDS)
        # An item of an unknown type is still checked as far as it goes: as a lesson.
        key = self.render(doc, course.id, kind or LESSON, values)
        docs.docs.append(doc)
        docs.items[path_in_course] = doc
        if not source.parsed or doc.rendered is None:
            return None
        rendered = doc.rendered
        return LessonSource(
            id=values.get("id", ""),
            title=values.get("title", ""),
            kind=kind.name if kind else "",
            minutes=values.get("minutes"),
            complete=values.get("complete", course.lesson_completion),
            summary=values.get("summary", ""),
            renamed_from=values.get("renamed_from", []),
            rel_path=rel_path,
            path_in_course=path_in_course,
            source_hash=source.source_hash,
            render_key=key,
            position=position,
            html=rendered.html,
            toc=rendered.toc,
            links=rendered.links,
            images=rendered.images,
            front_matter=source.front_matter,
            payload=rendered.payload,
        )

    def _listed_names(
        self, source: SourceFile, key: str, values: dict[str, Any], *, is_dir: bool, folder: Path
    ) -> list[str]:
        """Check a `modules`/`items` list entry by entry; return the usable names in order."""
        names = values.get(key)
        if names is None:
            return []
        if not names:
            what = "module folder" if is_dir else "item file"
            source.add_at(source.nodes[key][1], "E208", f"'{key}' is empty: list at least one {what}")
        seen: dict[str, int] = {}
        usable: list[str] = []
        for name, node in zip(names, source.value_nodes(key), strict=False):
            line = node.start_mark.line + FRONT_MATTER_LINE
            if not _is_plain_name(name) or (not is_dir and (not name.endswith(".md") or name == MODULE_FILE)):
                rule = "a folder name in the course folder" if is_dir else "a .md file name in this folder"
                source.add_at(node, "E210", f"'{name}' in {key} must be {rule}")
            elif name in seen:
                source.add_at(node, "E207", f"'{name}' is listed twice in {key} (first on line {seen[name]})")
            elif too_long := _too_long(folder, name, is_dir=is_dir):
                source.add_at(node, "E216", too_long)
            elif is_dir and (folder / name).is_file():
                source.add_at(node, "E204", f"'{name}' is a file, not a module folder")
            elif is_dir and not (folder / name).is_dir():
                source.add_at(node, "E204", f"module folder '{name}' not found")
            elif is_dir and not (folder / name / MODULE_FILE).is_file():
                source.add_at(node, "E205", f"module folder '{name}' has no {MODULE_FILE}")
            elif not is_dir and (folder / name).is_dir():
                source.add_at(node, "E206", f"'{name}' is a folder, not an item file")
            elif not is_dir and not (folder / name).is_file():
                source.add_at(node, "E206", f"item file '{name}' not found")
            else:
                usable.append(name)
            seen.setdefault(name, line)
        return usable

    def _warn_unlisted(
        self, source: SourceFile, key: str, folder: Path, names: list[str], wanted: Callable[[Path], bool]
    ) -> None:
        """Warn about modules/lessons on disk that the listing forgot."""
        listed = set(names)
        node = source.key_node(key)
        for path in sorted(folder.iterdir()):
            if path.name not in listed and not path.name.startswith(".") and wanted(path):
                what = "module folder" if key == "modules" else "file"
                message = f"{what} '{path.name}' is not listed in {key}"
                if node is not None:
                    source.add_at(node, "W201" if key == "items" else "W202", message, warning=True)
                else:
                    source.add("W201" if key == "items" else "W202", message, warning=True)


def load_tree(
    root: Path,
    *,
    display_prefix: str | None = None,
    cache: Mapping[str, Rendered] | None = None,
    known: Mapping[str, Collection[str]] | None = None,
    links_to: Path | None = None,
) -> LoadResult:
    """Load every course under `root`, collecting all problems in one pass.

    `known`: kind -> the keys that exist of what courses name but other domains own (a seminar,
    lms.content.references.known_keys()); a kind it does not list is not checked. `links_to`: a
    folder symlinks in the tree may also lead into (the courses folder a temporary tree links to).
    """
    root = Path(root)
    prefix = root.as_posix() if display_prefix is None else display_prefix
    loader = _TreeLoader(root, prefix, cache or {}, links_to)
    if not root.is_dir():
        loader.problems.append(Problem(loader.prefix or ".", 1, 1, "E200", "courses folder not found"))
        return LoadResult([], loader.problems)
    courses: list[CourseSource] = []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for folder in folders:
        if not (folder / COURSE_FILE).is_file():
            message = f"folder has no {COURSE_FILE}; ignored"
            loader.problems.append(Problem(loader.display(folder.name), 1, 1, "W203", message, WARNING))
            continue
        course = loader.load_course(folder, len(courses))
        if course is not None:
            courses.append(course)
    check_ids(loader.docs)
    check_gates(loader.gates, loader.tree)
    check_named_keys(loader.named, known or {})
    for doc in loader.docs:
        loader.problems.extend(doc.source.problems)
    problems = sorted(set(loader.problems))
    error_paths = [p.path for p in problems if p.is_error]
    valid = [c for c in courses if not any(p.startswith(loader.display(c.folder) + "/") for p in error_paths)]
    return LoadResult(valid, problems, loader.rendered, courses)


def check_tree(
    root: Path, display_prefix: str | None = None, *, links_to: Path | None = None
) -> list[Problem]:
    """All problems of a tree, for `flask lms check` and editors (`links_to` as for load_tree)."""
    return load_tree(root, display_prefix=display_prefix, links_to=links_to).problems


def render_file(path: Path) -> str:
    """Sanitised HTML of one Markdown file through the same pipeline the importer uses."""
    path = Path(path)
    text, failure = decode(path.read_bytes())
    if text is None:
        assert failure is not None
        raise ContentError([Problem(path.as_posix(), failure[0], failure[1], "E104", failure[2])])
    parts = split_front_matter(text)
    if parts is None and text.split("\n", 1)[0].rstrip() == "---":
        message = "front matter is not closed: add a '---' line after it"
        raise ContentError([Problem(path.as_posix(), 1, 1, "E102", message)])
    body = parts[1] if parts else text
    absolute = path.resolve()
    course_dir = next((p for p in absolute.parents if (p / COURSE_FILE).is_file()), None)
    if course_dir is None:
        return render_markdown(body).html
    course = read_source(course_dir / COURSE_FILE, COURSE_FILE, COURSE_FILE)
    course_id = course.front_matter.get("id")
    usable = isinstance(course_id, str) and ID_PATTERN.match(course_id) is not None
    policy = CourseUrlPolicy(str(course_id)) if usable else None
    doc_dir = absolute.parent.relative_to(course_dir).as_posix()
    return render_markdown(body, doc_dir="" if doc_dir == "." else doc_dir, policy=policy).html

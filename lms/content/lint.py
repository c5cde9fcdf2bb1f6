"""Checks that need more than one file: ids, links between lessons, images on disk.

They run on every load, also for files whose HTML came from the cache, because a
change elsewhere in the tree (a renamed lesson, a deleted image) can break them.
"""

from __future__ import annotations

import difflib
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from lms.content.frontmatter import FRONT_MATTER_LINE, Roots, SourceFile, resolves_outside
from lms.content.guard import (
    MAX_HTML_DEPTH,
    MAX_INDENT_COLUMNS,
    backtick_flooded_blocks,
    copy_floods,
    flooded_blocks,
    footnote_ref_floods,
    html_too_deep,
    overindented_lines,
    split_flooded_blocks,
    unclosed_fences,
    unclosed_tags,
)
from lms.content.render import LinkRef, Rendered, html_ids, path_in_course
from lms.content.sanitize import CALLOUT_KINDS
from lms.content.scan import LineIndex, callout_kinds
from lms.content.schema import PATH_LENGTH

IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg"})


@dataclass
class Doc:
    """One parsed file of a course together with its rendering."""

    source: SourceFile
    rendered: Rendered | None
    doc_dir: str  # folder of the file relative to the course folder, "" for course.md
    _anchors: set[str] | None = field(default=None, init=False, repr=False)

    def anchors(self) -> set[str]:
        """Ids in the rendered HTML, computed once and only for documents linked with #anchor."""
        if self._anchors is None:
            self._anchors = set(html_ids(self.rendered.html)) if self.rendered else set()
        return self._anchors


@dataclass
class CourseDocs:
    """Everything the link and image checks need to know about one course."""

    folder: Path
    within: Roots  # the resolved courses folder(s): no symlink may lead out of them
    docs: list[Doc] = field(default_factory=list)
    # path in course of every listed item -> its doc (None when it could not be read)
    items: dict[str, Doc | None] = field(default_factory=dict)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + FRONT_MATTER_LINE


def check_ids(docs: list[Doc]) -> None:
    """Ids share one namespace across the tree; renamed_from must not take a live id."""
    live: dict[str, str] = {}
    for doc in docs:
        source = doc.source
        pair = source.nodes.get("id")
        value = source.front_matter.get("id")
        if pair is None or not isinstance(value, str):
            continue
        where = f"{source.display}:{_line(pair[1])}"
        if value in live:
            source.add_at(pair[1], "E201", f"duplicate id '{value}' (already used at {live[value]})")
        else:
            live[value] = where
    claimed: dict[str, str] = {}
    for doc in docs:
        source = doc.source
        old_ids = source.front_matter.get("renamed_from")
        if not isinstance(old_ids, list):
            continue
        for old_id, node in zip(old_ids, source.value_nodes("renamed_from"), strict=False):
            if not isinstance(old_id, str):
                continue
            where = f"{source.display}:{_line(node)}"
            if old_id in live:
                source.add_at(node, "E202", f"renamed_from '{old_id}' is the live id at {live[old_id]}")
            elif old_id in claimed:
                source.add_at(node, "E203", f"renamed_from '{old_id}' is also claimed at {claimed[old_id]}")
            else:
                claimed[old_id] = where


def check_body(doc: Doc) -> None:
    """Body checks of every file that need only the source text: nesting too deep to render (lines
    indented too far, HTML open too deep), what the renderer's guard would show as written
    (lms.content.guard), unknown callout kinds.

    An item's kind adds its own checks (its `lint` hook: an empty lesson is worth a warning).
    """
    source = doc.source
    deep = overindented_lines(source.body)
    if deep:  # the first one: the lines after it are usually the same nesting going on
        message = (
            f"line indented more than {MAX_INDENT_COLUMNS} columns: lists or quotes nested this deep "
            f"cannot be shown (the file's text would be shown as written; {len(deep)} such lines)"
        )
        source.add_in_body(deep[0], 1, "E111", message)
    index = LineIndex(source.body)
    too_deep = html_too_deep(source.body)
    if too_deep is not None:
        line, col = index.line_col(too_deep)
        message = (
            f"more than {MAX_HTML_DEPTH} HTML elements are open here at once (tags nested this deep, "
            "or never closed): the file's text would be shown as written; close the tags"
        )
        source.add_in_body(line, col, "E112", message)
    for offset, code, message in _guard_warnings(source.body):
        line, col = index.line_col(offset)
        source.add_in_body(line, col, code, message, warning=True)
    for kind, offset in callout_kinds(source.body):
        if kind not in CALLOUT_KINDS:
            line, col = index.line_col(offset)
            known = ", ".join(sorted(CALLOUT_KINDS))
            source.add_in_body(
                line, col, "W102", f"unknown callout kind '{kind}' (use one of: {known})", warning=True
            )


def _guard_warnings(body: str) -> Iterator[tuple[int, str, str]]:
    """(offset, code, message) of each part of `body` the renderer's guard would show as written,
    in the order authors fix them: paragraphs first, then what runs to the text's end."""
    for start, _end in flooded_blocks(body):
        yield (
            start,
            "W103",
            (
                "this paragraph has so many `[` that do not close into links that its brackets are "
                "shown as written and its links do not work: close them, or write `\\[`"
            ),
        )
    for start, _end, splits in split_flooded_blocks(body):
        yield (
            start,
            "W105",
            (
                f"this paragraph has {splits} headings, rules, callouts or definitions with no blank line "
                "between them: it is shown as written; put a blank line before each"
            ),
        )
    unclosed = unclosed_tags(body)
    if unclosed:
        yield (
            unclosed[0],
            "W106",
            (
                f"{len(unclosed)} HTML tags here and after are never closed with `>`: they are shown as "
                "written; close them, or write `&lt;` for a `<` that starts no tag"
            ),
        )
    for start, _end in backtick_flooded_blocks(body):
        yield (
            start,
            "W108",
            (
                "this paragraph has so many backticks that never close a code span that they are shown "
                "as written and its code spans do not work: close them, or write `\\``"
            ),
        )
    references = footnote_ref_floods(body)
    if references:
        yield (
            references[0],
            "W109",
            (
                f"{len(references)} footnote references here and after repeat a footnote so often that "
                "numbering them would take seconds: they are shown as written; refer to it less often"
            ),
        )
    for offset in copy_floods(body):
        yield (
            offset,
            "W110",
            (
                "this definition's title or address is long and used so often that copying it into "
                "each use would make megabytes of HTML: it is shown as written and its uses stay text; "
                "shorten it"
            ),
        )
    fences = unclosed_fences(body)
    if fences:
        yield (
            fences[0],
            "W107",
            (
                f"{len(fences)} code fences here and after are never closed: they are shown as written; "
                "close each with a line of the same marks"
            ),
        )


class _Files:
    """Exact-case file lookup, so a link that only works on a case-insensitive disk is caught."""

    def __init__(self, folder: Path, within: Roots) -> None:
        self.folder = folder
        self.within = within
        self._listings: dict[str, set[str]] = {}

    def outside(self, path: str) -> bool:
        """Whether an existing file is a symlink leading out of the courses folder (the store left
        such an image out with no word, a broken picture on the page)."""
        return resolves_outside(self.folder / path, self.within)

    def exists(self, path: str) -> bool:
        parent, name = posixpath.split(path)
        if parent not in self._listings:
            try:
                directory = self.folder / parent
                self._listings[parent] = {e.name for e in os.scandir(directory) if e.is_file()}
            except OSError:
                self._listings[parent] = set()
        return name in self._listings[parent]


def check_course_refs(course: CourseDocs) -> None:
    """Check every link and image of a course against the current tree."""
    files = _Files(course.folder, course.within)
    for doc in course.docs:
        if doc.rendered is None:
            continue
        for ref in doc.rendered.links:
            _check_link(doc, course, ref)
        for ref in doc.rendered.files:
            resolved = path_in_course(doc.doc_dir, urlsplit(ref.target).path)
            if resolved is None:
                _add(doc, ref, "E302", f"link '{ref.target}' points outside the course folder")
            elif len(resolved) > PATH_LENGTH:
                _add(doc, ref, "E216", _path_too_long(resolved))
            elif not files.exists(resolved):
                _add(doc, ref, "E303", f"linked file not found: {resolved}")
            elif files.outside(resolved):
                _add(
                    doc,
                    ref,
                    "E215",
                    f"linked file {resolved} is a symlink leading outside the courses folder",
                )
        for ref in doc.rendered.images:
            _check_image(doc, files, ref)


def _path_too_long(resolved: str) -> str:
    """A stored image's path in its course is a column of PATH_LENGTH characters."""
    limit = f"at most {PATH_LENGTH} characters (this one has {len(resolved)})"
    return f"the path {resolved} is too long: {limit}"


def _add(doc: Doc, ref: LinkRef, code: str, message: str, *, warning: bool = False) -> None:
    doc.source.add_in_body(ref.line, ref.col, code, message, warning=warning)


def _check_link(doc: Doc, course: CourseDocs, ref: LinkRef) -> None:
    parts = urlsplit(ref.target)
    resolved = path_in_course(doc.doc_dir, parts.path)
    if resolved is None:
        _add(doc, ref, "E302", f"link '{ref.target}' points outside the course folder")
        return
    if resolved not in course.items:
        exists = (course.folder / resolved).is_file()
        reason = "is not listed in any module's items" if exists else "does not exist"
        _add(doc, ref, "E301", f"broken link '{ref.target}': {resolved} {reason}")
        return
    target = course.items[resolved]
    anchor = unquote(parts.fragment)
    if not anchor or target is None or target.rendered is None or not target.source.parsed:
        return
    anchors = target.anchors()
    if anchor not in anchors:
        close = difflib.get_close_matches(anchor, sorted(anchors), n=1)
        hint = f" (did you mean '#{close[0]}'?)" if close else ""
        _add(doc, ref, "W301", f"anchor '#{anchor}' not found in {resolved}{hint}", warning=True)


def _check_image(doc: Doc, files: _Files, ref: LinkRef) -> None:
    url = ref.target
    parts = urlsplit(url)
    if not url:
        _add(doc, ref, "E304", "image has no file name")
    elif parts.scheme == "data":
        _add(doc, ref, "E307", "data: images are not allowed; save the image as a file in the course folder")
    elif parts.scheme or parts.netloc:
        _add(doc, ref, "E307", f"remote image '{url}' is not allowed; save it as a file in the course folder")
    elif url.startswith("/"):
        _add(doc, ref, "E305", f"image '{url}' must be a path relative to this file")
    else:
        resolved = path_in_course(doc.doc_dir, parts.path)
        extension = posixpath.splitext(parts.path)[1].lower().lstrip(".")
        if resolved is None:
            _add(doc, ref, "E305", f"image '{url}' points outside the course folder")
        elif extension not in IMAGE_EXTENSIONS:
            allowed = ", ".join(sorted(IMAGE_EXTENSIONS))
            _add(doc, ref, "E306", f"image type '.{extension}' is not allowed (use {allowed})")
        elif len(resolved) > PATH_LENGTH:
            _add(doc, ref, "E216", _path_too_long(resolved))
        elif not files.exists(resolved):
            _add(doc, ref, "E304", f"image not found: {resolved}")
        elif files.outside(resolved):
            _add(doc, ref, "E215", f"image {resolved} is a symlink leading outside the courses folder")
    if ref.alt is not None and not ref.alt.strip():
        _add(doc, ref, "W302", "image has no alt text: describe it in ![...]", warning=True)

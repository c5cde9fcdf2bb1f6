"""Read one source file: decode it, split off the front matter and check its keys.

Every problem points at a real file line and column, so YAML positions are shifted by
where the front matter starts and body positions by where the body starts.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from lms.content.problems import ERROR, WARNING, Problem
from lms.content.schema import Field, Invalid

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FRONT_MATTER_LINE = 2  # the YAML text starts on the line after the opening `---`
# YAML also ends a line at NEL, LS and PS; editors, Markdown and every position reported here count
# only "\n". A line separator pasted into a title made YAML see a new line there: the key after it
# failed, and every later problem pointed lines below the real one.
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "next line", "\u2028": "line separator", "\u2029": "paragraph separator"}


def yaml_view(yaml_text: str) -> str:
    """The front matter as it is given to YAML: NEL, LS and PS read as spaces, at the same offsets,
    so YAML's lines and columns are the file's."""
    return _YAML_ONLY_BREAKS.sub(" ", yaml_text)


@dataclass
class SourceFile:
    """One decoded Markdown file with its front matter parsed and positions kept."""

    display: str
    rel_path: str
    source_hash: str
    body: str = ""
    body_line: int = 1
    front_matter: dict[str, Any] = field(default_factory=dict)
    # key -> (key node, value node), for pointing at the exact spot of a problem
    nodes: dict[str, tuple[yaml.Node, yaml.Node]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    parsed: bool = False  # front matter was a readable mapping

    def add(self, code: str, message: str, line: int = 1, col: int = 1, *, warning: bool = False) -> None:
        """Record a problem in this file."""
        severity = WARNING if warning else ERROR
        self.problems.append(Problem(self.display, line, col, code, message, severity))

    def add_at(self, node: yaml.Node, code: str, message: str, *, warning: bool = False) -> None:
        """Record a problem at a front matter node."""
        mark = node.start_mark
        self.add(code, message, mark.line + FRONT_MATTER_LINE, mark.column + 1, warning=warning)

    def add_in_body(self, line: int, col: int, code: str, message: str, *, warning: bool = False) -> None:
        """Record a problem at a position given relative to the body text."""
        self.add(code, message, self.body_line + line - 1, col, warning=warning)

    def key_node(self, key: str) -> yaml.Node | None:
        """The node of a front matter key, for problems about the key as a whole."""
        pair = self.nodes.get(key)
        return pair[0] if pair else None

    def value_nodes(self, key: str) -> list[yaml.Node]:
        """The entry nodes of a list value (modules, items)."""
        pair = self.nodes.get(key)
        if pair and isinstance(pair[1], yaml.SequenceNode):
            return list(pair[1].value)
        return []


def decode(raw: bytes) -> tuple[str | None, tuple[int, int, str] | None]:
    """Decode UTF-8, drop a BOM, normalise newlines; on failure return where it broke."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line_start = before.rfind(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", "replace").lstrip("\ufeff")) + 1
        message = f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        return None, (before.count(b"\n") + 1, col, message)
    text = text.removeprefix("\ufeff")
    if text.startswith("\ufeff"):  # the opening `---` would not be seen: "missing front matter"
        marks = len(text) - len(text.lstrip("\ufeff")) + 1
        return None, (
            1,
            1,
            f"file starts with {marks} byte order marks (U+FEFF); save it as UTF-8 with one at most",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter, body, body start line) or None when there is no closed block."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    return None


Roots = Path | tuple[Path, ...]  # resolved folders a file may lie in


def resolves_outside(path: Path, roots: Roots) -> bool:
    """Whether `path`, every symlink on the way followed, leads out of `roots` (resolved folders)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: nothing there to read
        return True
    return not any(
        resolved.is_relative_to(root) for root in (roots if isinstance(roots, tuple) else (roots,))
    )


def read_source(path: Path, rel_path: str, display: str, *, within: Roots | None = None) -> SourceFile:
    """Read and parse one file; problems are collected on the returned object.

    `within` (resolved) is the folder being imported: a file that is, or lies in, a symlink leading
    out of it is not read (E215), or a committed link to /etc/passwd would show a server file."""
    if within is not None and resolves_outside(path, within):
        source = SourceFile(display=display, rel_path=rel_path, source_hash="")
        source.add("E215", "a symlink leading outside the folder being imported: not read (copy the file in)")
        return source
    raw = path.read_bytes()
    source = SourceFile(display=display, rel_path=rel_path, source_hash=hashlib.sha256(raw).hexdigest())
    text, failure = decode(raw)
    if text is None:
        assert failure is not None
        line, col, message = failure
        source.add("E104", message, line, col)
        return source
    if not text.strip():
        source.add("E101", "file is empty; it must start with a '---' front matter block")
        return source
    parts = split_front_matter(text)
    if parts is None:
        if text.split("\n", 1)[0].rstrip() == "---":
            source.add("E102", "front matter is not closed: add a '---' line after it")
        else:
            source.add("E101", "missing front matter: the file must start with a '---' line")
        return source
    yaml_text, source.body, source.body_line = parts
    _parse_yaml(source, yaml_text)
    return source


def _warn_of_yaml_only_breaks(source: SourceFile, yaml_text: str) -> None:
    """One warning, at the first NEL, LS or PS of the front matter, with their count."""
    found = _YAML_ONLY_BREAKS.findall(yaml_text)
    if not found:
        return
    first = _YAML_ONLY_BREAKS.search(yaml_text)
    assert first is not None
    at = first.start()
    line = yaml_text.count("\n", 0, at) + FRONT_MATTER_LINE
    col = at - (yaml_text.rfind("\n", 0, at) + 1) + 1
    char = first.group()
    message = f"U+{ord(char):04X} ({_BREAK_NAMES[char]}) in the front matter is read as a space"
    if len(found) > 1:
        message += f" ({len(found)} such characters)"
    source.add("W104", message + "; type a space or a new line instead", line, col, warning=True)


def _parse_yaml(source: SourceFile, yaml_text: str) -> None:
    _warn_of_yaml_only_breaks(source, yaml_text)
    try:
        root = yaml.compose(yaml_view(yaml_text), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + FRONT_MATTER_LINE, mark.column + 1) if mark else (FRONT_MATTER_LINE, 1)
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark:
            message += f" ({exc.context} on line {exc.context_mark.line + FRONT_MATTER_LINE})"
        source.add("E100", message, line, col)
        return
    except yaml.YAMLError as exc:
        source.add("E100", f"invalid YAML: {exc}", FRONT_MATTER_LINE, 1)
        return
    if not isinstance(root, yaml.MappingNode):
        if root is None:
            source.add("E103", "front matter is empty; it must be a mapping of keys to values")
        else:
            source.add_at(root, "E103", "front matter must be a mapping of keys to values (key: value)")
        return
    source.parsed = True
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or not key:
            source.add_at(key_node, "E106", "front matter keys must be plain words")
            continue
        if key in source.nodes:
            first = source.nodes[key][0].start_mark.line + FRONT_MATTER_LINE
            source.add_at(key_node, "E107", f"duplicate key '{key}' (first set on line {first})")
            continue
        source.nodes[key] = (key_node, value_node)
        try:
            source.front_matter[key] = SafeConstructor().construct_document(value_node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            source.add_at(value_node, "E100", f"invalid YAML value for '{key}': {problem}")


def check_fields(source: SourceFile, fields: Mapping[str, Field]) -> dict[str, Any]:
    """Validate front matter against `fields`; return only the values that passed."""
    values: dict[str, Any] = {}
    for key, (key_node, value_node) in source.nodes.items():
        spec = fields.get(key)
        if spec is None:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            source.add_at(key_node, "E106", f"unknown key '{key}'{hint}")
            continue
        if key not in source.front_matter:
            continue  # its YAML value could not be read; already reported
        try:
            values[key] = spec.check(key, value_node, source.front_matter[key])
        except Invalid as exc:
            source.add_at(exc.node, exc.code, exc.message)
    for key, spec in fields.items():
        if spec.required and key not in source.nodes:
            source.add("E105", f"missing required key '{key}'")
    return values

"""Line-based edits of a file's YAML front matter: set one scalar, rewrite one list.

Structural changes in the browser (rename a title, reorder `items` or `modules`, add an entry)
must leave everything else of the file as the author wrote it: comments, key order, quoting and
blank lines. So nothing is re-dumped: the YAML is composed only to find where a value sits
(its marks), and just that span of text is replaced. Every edit is read back and checked before
it is returned; anything that would need a guess (a duplicated key, a list of mappings, a
missing front matter block) raises `FrontMatterEditError` rather than writing something wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from lms.content.frontmatter import split_front_matter, yaml_view

# Plain scalars that YAML would read as something other than the same text are quoted; this is
# only a quick filter, the read-back in `yaml_scalar` decides.
_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n\x85\u2028\u2029]*$")
_YAML_BREAK_ESCAPES = re.compile("[\x85\u2028\u2029]")


class FrontMatterEditError(ValueError):
    """The front matter cannot be edited safely (the message says why, in English for the log)."""


def yaml_scalar(value: str) -> str:
    """`value` as a one-line YAML scalar that reads back as exactly `value`: plain when it can be,
    else double-quoted (a JSON string is a valid YAML double-quoted scalar)."""
    if _PLAIN.match(value) and value == value.strip() and ": " not in value and " #" not in value:
        try:
            if yaml.safe_load(f"k: {value}\n") == {"k": value}:
                return value
        except yaml.YAMLError:
            pass
    # JSON leaves NEL, LS and PS as they are, and YAML would read them as line breaks: escaped.
    return _YAML_BREAK_ESCAPES.sub(
        lambda found: f"\\u{ord(found.group()):04x}", json.dumps(value, ensure_ascii=False)
    )


class _Document:
    """A file split into its front matter (YAML text and root node) and the rest, to be joined again."""

    def __init__(self, text: str) -> None:
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix("\ufeff")
        self.newline = "\r\n" if "\r\n" in text else "\n"
        text = text.replace("\r\n", "\n")
        parts = split_front_matter(text)
        if parts is None:
            raise FrontMatterEditError("the file has no front matter block between two '---' lines")
        self.yaml_text, _body, body_line = parts
        lines = text.split("\n")
        self.head = lines[0]  # the opening '---' as written
        self.tail = "\n".join(lines[body_line - 2 :])  # the closing '---' and the body
        self.root = self._compose(self.yaml_text)

    @staticmethod
    def _compose(yaml_text: str) -> yaml.MappingNode:
        try:
            root = yaml.compose(yaml_view(yaml_text), Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise FrontMatterEditError(f"the front matter is not valid YAML: {exc}") from exc
        if root is None and not yaml_text.strip():
            return yaml.MappingNode("tag:yaml.org,2002:map", [])
        if not isinstance(root, yaml.MappingNode):
            raise FrontMatterEditError("the front matter is not a mapping of keys to values")
        keys = [k.value for k, _v in root.value if isinstance(k, yaml.ScalarNode)]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise FrontMatterEditError(f"the key '{twice[0]}' is set twice")
        return root

    def entry(self, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        return next(
            ((k, v) for k, v in self.root.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
        )

    def join(self, yaml_text: str) -> str:
        text = self.head + "\n" + (yaml_text + "\n" if yaml_text else "") + self.tail
        return self.bom + text.replace("\n", self.newline)

    def append(self, lines: list[str]) -> str:
        """The front matter with `lines` added at its end (after any trailing comment)."""
        body = self.yaml_text.rstrip("\n")
        return (body + "\n" if body else "") + "\n".join(lines)


def _check(result: str, key: str, expected: Any) -> str:
    document = _Document(result)
    values = yaml.safe_load(yaml_view(document.yaml_text)) or {}
    if values.get(key) != expected:
        raise FrontMatterEditError(f"the edit of '{key}' did not read back as intended")
    return result


def read_value(text: str, key: str) -> Any:
    """The value of one top-level front matter key (None when absent)."""
    document = _Document(text)
    entry = document.entry(key)
    if entry is None:
        return None
    return yaml.SafeLoader.construct_document(yaml.SafeLoader(""), entry[1])


def set_scalar(text: str, key: str, value: str) -> str:
    """The file with `key: value` set (replacing only the old value's text), or added at the end."""
    document = _Document(text)
    entry = document.entry(key)
    scalar = yaml_scalar(value)
    if entry is None:
        return _check(document.join(document.append([f"{key}: {scalar}"])), key, value)
    node = entry[1]
    if not isinstance(node, yaml.ScalarNode):
        raise FrontMatterEditError(f"'{key}' is not a single value")
    start, end = node.start_mark.index, node.end_mark.index
    old = document.yaml_text[start:end]
    # A block scalar (`|`, `>`) ends after its line break(s): keep them, or the next key would
    # join this line.
    rest = old[len(old.rstrip()) :]
    keep = rest if "\n" in rest else ""
    if not document.yaml_text[:start].endswith((" ", "\n")):
        scalar = " " + scalar  # `title:` with nothing after the colon yet
    yaml_text = document.yaml_text[:start] + scalar + keep + document.yaml_text[end:]
    return _check(document.join(yaml_text), key, value)


def read_list(text: str, key: str) -> list[str] | None:
    """A top-level list of plain strings (`items`, `modules`); None when the key is absent."""
    value = read_value(text, key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FrontMatterEditError(f"'{key}' is not a list of names")
    return value


def _flow(values: list[str]) -> str:
    return "[" + ", ".join(yaml_scalar(v) for v in values) + "]"


def set_list(text: str, key: str, values: list[str]) -> str:
    """The file with the list `key` holding `values`, in that order.

    A block list keeps each entry's own line with its comment (and the comment lines just above
    it), moved to the entry's new place; new entries are written like the others; removed ones go.
    A flow list (`[a, b]`) is written again as a flow list on its own span. A missing key is added
    at the end as a block list.
    """
    document = _Document(text)
    entry = document.entry(key)
    if entry is None:
        lines = [f"{key}:", *(f"  - {yaml_scalar(v)}" for v in values)] if values else [f"{key}: []"]
        return _check(document.join(document.append(lines)), key, values)
    key_node, node = entry
    if isinstance(node, yaml.ScalarNode) and node.value == "" and node.style is None:
        # `items:` with nothing after it yet: give it a block list below the key.
        if not values:
            return set_scalar_raw(document, node, "[]", key, values)
        lines = document.yaml_text.split("\n")
        at = key_node.start_mark.line
        new = [f"  - {yaml_scalar(v)}" for v in values]
        return _check(document.join("\n".join(lines[: at + 1] + new + lines[at + 1 :])), key, values)
    if not isinstance(node, yaml.SequenceNode):
        raise FrontMatterEditError(f"'{key}' is not a list")
    if not all(isinstance(item, yaml.ScalarNode) for item in node.value):
        raise FrontMatterEditError(f"'{key}' holds more than plain names")
    if node.flow_style or not node.value or not values:
        return set_scalar_raw(document, node, _flow(values), key, values)
    return _check(document.join(_rewrite_block(document, key_node, node, values)), key, values)


def set_scalar_raw(document: _Document, node: yaml.Node, raw: str, key: str, expected: Any) -> str:
    """Replace a value node's span with `raw` YAML text (one line)."""
    start, end = node.start_mark.index, node.end_mark.index
    old = document.yaml_text[start:end]
    rest = old[len(old.rstrip()) :]
    keep = rest if "\n" in rest else ""
    before = document.yaml_text[:start]
    if isinstance(node, yaml.SequenceNode) and not node.flow_style:
        # A block list's span starts at its first dash, on a line of its own: put the flow list
        # back after the key instead.
        before = before.rstrip(" \n") + " "
        keep = "\n"
    elif not before.endswith((" ", "\n")):
        raw = " " + raw
    after = document.yaml_text[end:]
    if isinstance(node, yaml.SequenceNode) and not node.flow_style:
        after = after.lstrip(" ")
    return _check(document.join(before + raw + keep + after), key, expected)


def _rewrite_block(
    document: _Document, key_node: yaml.Node, node: yaml.SequenceNode, values: list[str]
) -> str:
    lines = document.yaml_text.split("\n")
    blocks: list[tuple[str, list[str]]] = []
    previous_end = key_node.start_mark.line
    dash_prefix = None
    for item in node.value:
        first, last = item.start_mark.line, item.end_mark.line
        if item.end_mark.column == 0 and last > first:
            last -= 1
        line = lines[first]
        before = line[: item.start_mark.column]
        if not re.fullmatch(r"[ \t]*-[ \t]+", before):
            raise FrontMatterEditError(f"an entry of the list on line {first + 1} is not written as '- name'")
        dash_prefix = dash_prefix or before
        blocks.append((item.value, lines[previous_end + 1 : last + 1]))
        previous_end = last
    assert dash_prefix is not None
    pool = list(blocks)
    ordered: list[str] = []
    for value in values:
        match = next((i for i, (old, _lines) in enumerate(pool) if old == value), None)
        if match is None:
            ordered.append(dash_prefix + yaml_scalar(value))
        else:
            ordered.extend(pool.pop(match)[1])
    start = key_node.start_mark.line + 1
    return "\n".join(lines[:start] + ordered + lines[previous_end + 1 :])

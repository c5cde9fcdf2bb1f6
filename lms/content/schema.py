"""What each front matter may contain: fields, value checks and the item kind registry."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from lms.content.frontmatter import SourceFile
    from lms.content.render import Rendered

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_NULL_TAG = "tag:yaml.org,2002:null"


class Invalid(Exception):
    """A front matter value is wrong; `node` is where the author has to look."""

    def __init__(self, code: str, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.node = node


Check = Callable[[str, yaml.Node, Any], Any]


@dataclass(frozen=True)
class Field:
    """One front matter key: whether it must be present and how its value is checked."""

    check: Check
    required: bool = False


def text(key: str, node: yaml.Node, value: Any) -> str:
    """Any scalar, taken as the text the author typed (so `title: 1984` stays "1984")."""
    if not isinstance(node, yaml.ScalarNode):
        raise Invalid("E108", f"'{key}' must be text", node)
    return "" if node.tag == _NULL_TAG else node.value.strip()


def required_text(key: str, node: yaml.Node, value: Any) -> str:
    """Text that must not be blank, e.g. titles."""
    result = text(key, node, value)
    if not result:
        raise Invalid("E110", f"'{key}' must not be empty", node)
    return result


def _check_id(key: str, node: yaml.Node, value: str) -> str:
    if not ID_PATTERN.match(value):
        raise Invalid(
            "E109",
            f"invalid id {value!r} in '{key}': use 1-80 lowercase latin letters, digits and '-',"
            " starting with a letter or digit",
            node,
        )
    return value


def identifier(key: str, node: yaml.Node, value: Any) -> str:
    """A stable id such as `osnovy-kampanii`."""
    return _check_id(key, node, required_text(key, node, value))


def identifier_list(key: str, node: yaml.Node, value: Any) -> list[str]:
    """A list of ids (renamed_from); each entry is checked at its own position."""
    items = _sequence(key, node)
    return [_check_id(key, item, required_text(key, item, None)) for item in items]


def name_list(key: str, node: yaml.Node, value: Any) -> list[str]:
    """A list of folder or file names (modules, items); checked further by the loader."""
    return [required_text(key, item, None) for item in _sequence(key, node)]


def _sequence(key: str, node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise Invalid("E108", f"'{key}' must be a list", node)
    return list(node.value)


def whole_number(key: str, node: yaml.Node, value: Any) -> int:
    """A non-negative integer, e.g. minutes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("E108", f"'{key}' must be a whole number of 0 or more", node)
    return value


def number(key: str, node: yaml.Node, value: Any) -> float:
    """A non-negative number, e.g. estimated_hours."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise Invalid("E108", f"'{key}' must be a number of 0 or more", node)
    return float(value)


def integer(minimum: int, maximum: int | None = None) -> Check:
    """A whole number within bounds, e.g. a pass mark from 0 to 100."""
    bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"

    def check(key: str, node: yaml.Node, value: Any) -> int:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or value < minimum or (maximum is not None and value > maximum):
            raise Invalid("E108", f"'{key}' must be a whole number {bounds}", node)
        return value

    return check


def boolean(key: str, node: yaml.Node, value: Any) -> bool:
    """`true` or `false` (YAML also reads yes/no/on/off as booleans)."""
    if not isinstance(value, bool):
        raise Invalid("E108", f"'{key}' must be true or false", node)
    return value


def choice(*options: str) -> Check:
    """One of a fixed set of words."""

    def check(key: str, node: yaml.Node, value: Any) -> str:
        result = text(key, node, value)
        if result not in options:
            raise Invalid("E108", f"'{key}' must be one of: {', '.join(options)} (got {result!r})", node)
        return result

    return check


def completion(key: str, node: yaml.Node, value: Any) -> tuple[str, int]:
    """`all` or `{percent: N}` with 1 <= N <= 100; returns (kind, percent)."""
    if isinstance(node, yaml.ScalarNode) and text(key, node, value) == "all":
        return ("all", 100)
    if isinstance(value, dict) and set(value) == {"percent"}:
        percent = value["percent"]
        if isinstance(percent, int) and not isinstance(percent, bool) and 1 <= percent <= 100:
            return ("percent", percent)
        raise Invalid("E108", "'completion' percent must be a whole number from 1 to 100", node.value[0][1])
    raise Invalid("E108", "'completion' must be 'all' or '{percent: N}'", node)


COMPLETION_MODES = ("button", "view")

COURSE_FIELDS: dict[str, Field] = {
    "id": Field(identifier, required=True),
    "title": Field(required_text, required=True),
    "summary": Field(text, required=True),
    "audience": Field(text),
    "estimated_hours": Field(number),
    "modules": Field(name_list, required=True),
    "completion": Field(completion),
    "lesson_completion": Field(choice(*COMPLETION_MODES)),
    "renamed_from": Field(identifier_list),
}

MODULE_FIELDS: dict[str, Field] = {
    "id": Field(identifier, required=True),
    "title": Field(required_text, required=True),
    "summary": Field(text),
    "items": Field(name_list, required=True),
    "renamed_from": Field(identifier_list),
}

ITEM_FIELDS: dict[str, Field] = {
    "id": Field(identifier, required=True),
    "title": Field(required_text, required=True),
    "type": Field(text),
    "minutes": Field(whole_number),
    "complete": Field(choice(*COMPLETION_MODES)),
    "summary": Field(text),
    "renamed_from": Field(identifier_list),
}


QUIZ_FIELDS: dict[str, Field] = {
    "pass_mark": Field(integer(0, 100)),
    "attempts": Field(integer(0)),
    "time_limit": Field(integer(1)),
    "shuffle_questions": Field(boolean),
    "shuffle_options": Field(boolean),
    "draw": Field(integer(1)),
    "show_answers": Field(choice("always", "after_pass", "never")),
    "required": Field(boolean),
    "feedback": Field(choice("optional", "required")),
}
# The policy a quiz gets for every key its front matter leaves out.
QUIZ_DEFAULTS: dict[str, Any] = {
    "pass_mark": 70,
    "attempts": 0,
    "time_limit": None,
    "shuffle_questions": False,
    "shuffle_options": False,
    "draw": None,
    "show_answers": "always",
    "required": True,
    "feedback": "optional",
}

BodyHook = Callable[["SourceFile", dict[str, Any], Callable[[str], "Rendered"]], "Rendered"]
"""Parse and render an item body: (source, checked front matter, Markdown renderer) -> Rendered.

Problems go onto the source (`add_in_body`, `add_at`); the renderer is `render_markdown`
bound to the item's folder and course URL policy.
"""


@dataclass(frozen=True)
class ItemKind:
    """A kind of module item (`type:`): the extra front matter keys it accepts.

    Later kinds (scenario, assignment) add an entry to ITEM_KINDS with their own fields; the
    loader validates them exactly like the common ones. A kind with a `body` hook parses and
    renders its own body (a quiz's questions) instead of rendering it as one Markdown text.
    """

    name: str
    fields: Mapping[str, Field] = field(default_factory=dict)
    body: BodyHook | None = None

    def all_fields(self) -> dict[str, Field]:
        """Common item fields plus this kind's own."""
        return {**ITEM_FIELDS, **self.fields}


def _quiz_body(source: SourceFile, values: dict[str, Any], render: Callable[[str], Rendered]) -> Rendered:
    # Imported on use: the quiz format builds on this module and the renderer.
    from lms.quizzes.format import parse_quiz

    return parse_quiz(source, values, render)


ITEM_KINDS: dict[str, ItemKind] = {
    "lesson": ItemKind("lesson"),
    "quiz": ItemKind("quiz", QUIZ_FIELDS, body=_quiz_body),
}

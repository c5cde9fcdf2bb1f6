"""What each front matter may contain: fields, value checks and the item kind registry."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import SafeConstructor

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
DEFAULT_PASS_MARK = 70  # percent
QUIZ_DEFAULTS: dict[str, Any] = {
    "pass_mark": DEFAULT_PASS_MARK,
    "attempts": 0,
    "time_limit": None,
    "shuffle_questions": False,
    "shuffle_options": False,
    "draw": None,
    "show_answers": "always",
    "required": True,
    "feedback": "optional",
}

# Ids inside an exercise: scenario nodes and competencies, rubric criteria.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")
KEY_RULE = "use a lowercase latin letter, then letters, digits, '_' or '-' (at most 80)"


def _constructed(node: yaml.Node) -> Any:
    return SafeConstructor().construct_document(node)


_Entry = tuple[str, yaml.Node, yaml.Node]


def _entries(key: str, node: yaml.Node, *, allow_null: bool = False) -> list[_Entry]:
    """The (name, key node, value node) entries of a mapping value, checking names and repeats."""
    if allow_null and isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
        return []
    if not isinstance(node, yaml.MappingNode):
        raise Invalid("E108", f"'{key}' must be a mapping of `name: value` lines", node)
    found: list[_Entry] = []
    seen: set[str] = set()
    for key_node, value_node in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if name in seen:
            raise Invalid("E107", f"duplicate key '{name}' in '{key}'", key_node)
        seen.add(name)
        found.append((name, key_node, value_node))
    return found


def _known_keys(key: str, entries: list[_Entry], known: tuple[str, ...]) -> None:
    for name, key_node, _value in entries:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            raise Invalid("E106", f"unknown key '{name}' in '{key}'{hint}", key_node)


def competencies(key: str, node: yaml.Node, value: Any) -> dict[str, str]:
    """`id: label` lines in written order; at least one."""
    entries = _entries(key, node)
    if not entries:
        raise Invalid("E108", f"'{key}' must name at least one competency (`id: label`)", node)
    result: dict[str, str] = {}
    for name, key_node, value_node in entries:
        if not KEY_PATTERN.match(name):
            raise Invalid("E501", f"invalid competency id {name!r}: {KEY_RULE}", key_node)
        result[name] = required_text(f"{key}.{name}", value_node, None)
    return result


PASS_ENDINGS = ("any", "good")


def scenario_pass(key: str, node: yaml.Node, value: Any) -> dict[str, Any]:
    """`{ending: any|good, min: {competency: N}}`, both optional; competencies are checked later."""
    entries = _entries(key, node, allow_null=True)
    _known_keys(key, entries, ("ending", "min"))
    rule: dict[str, Any] = {"ending": "any", "min": {}}
    for name, _key_node, value_node in entries:
        if name == "ending":
            rule["ending"] = choice(*PASS_ENDINGS)(f"{key}.ending", value_node, None)
            continue
        for competency, _node, number_node in _entries(f"{key}.min", value_node, allow_null=True):
            minimum = _constructed(number_node)
            if isinstance(minimum, bool) or not isinstance(minimum, int):
                raise Invalid("E108", f"'{key}.min.{competency}' must be a whole number", number_node)
            rule["min"][competency] = minimum
    return rule


ATTACHMENT_TYPES = ("pdf", "docx", "xlsx", "png", "jpg", "jpeg", "webp")
_JPEG = ("jpg", "jpeg")  # one kind of file: allowing either name allows both


def attachments(key: str, node: yaml.Node, value: Any) -> dict[str, Any]:
    """`{max_files: 1-10, max_mb: 1-50, types: [...]}`; every part has a default."""
    entries = _entries(key, node, allow_null=True)
    _known_keys(key, entries, ("max_files", "max_mb", "types"))
    policy: dict[str, Any] = {"max_files": 3, "max_mb": 10, "types": list(ATTACHMENT_TYPES)}
    bounds = {"max_files": (1, 10), "max_mb": (1, 50)}
    for name, _key_node, value_node in entries:
        if name in bounds:
            policy[name] = integer(*bounds[name])(f"{key}.{name}", value_node, _constructed(value_node))
            continue
        types: list[str] = []
        for item in _sequence(f"{key}.types", value_node):
            written = required_text(f"{key}.types", item, None)
            kind = written.lower().lstrip(".")
            if kind not in ATTACHMENT_TYPES:
                close = difflib.get_close_matches(kind, ATTACHMENT_TYPES, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                allowed = ", ".join(ATTACHMENT_TYPES)
                message = f"attachment type '{written}' is not allowed{hint} (use {allowed})"
                raise Invalid("E611", message, item)
            types.extend(_JPEG if kind in _JPEG else (kind,))
        if not types:
            raise Invalid("E108", f"'{key}.types' must list at least one file type", value_node)
        policy["types"] = list(dict.fromkeys(types))
    return policy


SCENARIO_FIELDS: dict[str, Field] = {
    "competencies": Field(competencies, required=True),
    "start": Field(required_text),
    "feedback": Field(choice("immediate", "debrief")),
    "counts": Field(choice("best", "last")),
    "pass": Field(scenario_pass),
}
# The policy a scenario gets for every key its front matter leaves out (start: the first node).
SCENARIO_DEFAULTS: dict[str, Any] = {
    "start": None, "feedback": "immediate", "counts": "best", "pass": {"ending": "any", "min": {}},
}

ASSIGNMENT_FIELDS: dict[str, Field] = {
    "pass_points": Field(integer(0), required=True),
    "attachments": Field(attachments),  # omitted: text only (payload `attachments: null`)
}

BodyHook = Callable[["SourceFile", dict[str, Any], Callable[[str], "Rendered"]], "Rendered"]
"""Parse and render an item body: (source, checked front matter, Markdown renderer) -> Rendered.

Problems go onto the source (`add_in_body`, `add_at`); the renderer is `render_markdown`
bound to the item's folder and course URL policy.
"""


@dataclass(frozen=True)
class ItemKind:
    """A kind of module item (`type:`): the extra front matter keys it accepts.

    Each kind (quiz, scenario, assignment) adds an entry to ITEM_KINDS with its own fields; the
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


def _scenario_body(source: SourceFile, values: dict[str, Any], render: Callable[[str], Rendered]) -> Rendered:
    from lms.exercises.scenario import parse_scenario

    return parse_scenario(source, values, render)


def _assignment_body(
    source: SourceFile, values: dict[str, Any], render: Callable[[str], Rendered]
) -> Rendered:
    from lms.exercises.rubric import parse_assignment

    return parse_assignment(source, values, render)


ITEM_KINDS: dict[str, ItemKind] = {
    "lesson": ItemKind("lesson"),
    "quiz": ItemKind("quiz", QUIZ_FIELDS, body=_quiz_body),
    "scenario": ItemKind("scenario", SCENARIO_FIELDS, body=_scenario_body),
    "assignment": ItemKind("assignment", ASSIGNMENT_FIELDS, body=_assignment_body),
}

"""What each front matter may contain: fields and the value checks kinds build theirs from."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
# The largest whole number a front matter may give: a SQL INTEGER holds no more (PostgreSQL's int4
# stores `minutes`, a quiz's `attempts` is read as one) and a `time_limit` of it still ends before
# year 9999.
LARGEST_WHOLE = 2**31 - 1
_NULL_TAG = "tag:yaml.org,2002:null"
# Characters of no text: C0 controls but tab and new line, DEL, C1 controls, line and paragraph
# separators. YAML refuses them typed into a file (or reads NEL, LS and PS as spaces, W104) but
# makes them of escapes in double quotes.
_CONTROL = re.compile(r"[\x01-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


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
    # YAML refuses a NUL typed into the file but reads the escape "\0"; PostgreSQL refuses it in
    # any text column, so the import stopped with a traceback.
    if "\0" in node.value:
        raise Invalid("E108", f"'{key}' must not contain a NUL character (\\0)", node)
    # Other escapes ("\e", "\x01", "\u2028") are no text either: a certificate prints nothing for
    # them (the font has no glyph), a spreadsheet shows `_x001B_`, a page an invisible break.
    control = _CONTROL.search(node.value)
    if control:
        name = f"U+{ord(control.group()):04X}"
        raise Invalid("E108", f"'{key}' must not contain control characters ({name} here)", node)
    return "" if node.tag == _NULL_TAG else node.value.strip()


def required_text(key: str, node: yaml.Node, value: Any) -> str:
    """Text that must not be blank, e.g. titles."""
    result = text(key, node, value)
    if not result:
        raise Invalid("E110", f"'{key}' must not be empty", node)
    return result


def at_most(length: int, check: Check) -> Check:
    """`check`, then no more than `length` characters: what the column the text is stored in holds
    (PostgreSQL refuses a longer one, a traceback at import, where SQLite kept it whole)."""

    def limited(key: str, node: yaml.Node, value: Any) -> str:
        result = check(key, node, value)
        if len(result) > length:
            message = f"'{key}' is too long: at most {length} characters (this one has {len(result)})"
            raise Invalid("E108", message, node)
        return result

    return limited


TITLE_LENGTH = 300  # courses', modules', items' and certificates' title columns; a course's audience
# What the columns naming files hold: a course's and a module's folder, a file's path from the
# courses folder (an item's `source_path`) and from its course folder (an image's `path_in_course`).
FOLDER_LENGTH = 200
PATH_LENGTH = 500


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
    items = sequence(key, node)
    return [_check_id(key, item, required_text(key, item, None)) for item in items]


def name_list(key: str, node: yaml.Node, value: Any) -> list[str]:
    """A list of folder or file names (modules, items); checked further by the loader."""
    return [required_text(key, item, None) for item in sequence(key, node)]


def sequence(key: str, node: yaml.Node) -> list[yaml.Node]:
    """The entry nodes of a list value (null is an empty list)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise Invalid("E108", f"'{key}' must be a list", node)
    return list(node.value)


def whole_number(key: str, node: yaml.Node, value: Any) -> int:
    """A non-negative integer, e.g. minutes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("E108", f"'{key}' must be a whole number of 0 or more", node)
    _not_too_large(key, node, value)
    return value


def _not_too_large(key: str, node: yaml.Node, value: float) -> None:
    if value > LARGEST_WHOLE:
        raise Invalid("E108", f"'{key}' is too large: at most {LARGEST_WHOLE}", node)


def number(key: str, node: yaml.Node, value: Any) -> float:
    """A non-negative number, e.g. estimated_hours (YAML also reads `.nan` and `.inf` as numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise Invalid("E108", f"'{key}' must be a number of 0 or more", node)
    _not_too_large(key, node, value)
    return float(value)


def integer(minimum: int, maximum: int | None = None) -> Check:
    """A whole number within bounds, e.g. a pass mark from 0 to 100."""
    bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"

    def check(key: str, node: yaml.Node, value: Any) -> int:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or value < minimum or (maximum is not None and value > maximum):
            raise Invalid("E108", f"'{key}' must be a whole number {bounds}", node)
        _not_too_large(key, node, value)
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


# The completion rule by item kind: the key an author writes, the kind it counts and the word that
# says what done means for it (the item's own completion: a lesson marked read or opened, a quiz
# passed, a scenario passed, an assignment accepted, a survey answered). `none` leaves the kind out.
COMPLETION_KINDS: dict[str, tuple[str, str]] = {
    "lessons": ("lesson", "all"),
    "quizzes": ("quiz", "passed"),
    "scenarios": ("scenario", "passed"),
    "assignments": ("assignment", "accepted"),
    "surveys": ("survey", "answered"),
}
EVERY_KIND = tuple(kind for kind, _done in COMPLETION_KINDS.values())


# What a completion rule may ask beyond items (`completion: {lessons: all, attendance: {...}}`):
# {"kind": "attendance", "seminar": key, "percent": N or None (the seminar's own requirement)}.
# Content only stores them; whoever knows the thing named answers `progress.signals.requirement_met`.
Requirement = dict[str, Any]
CompletionValue = tuple[str, int, tuple[str, ...], list[Requirement]]


def attendance_requirement(key: str, node: yaml.Node) -> Requirement:
    """`{seminar: id}` or `{seminar: id, percent: N}` (0 <= N <= 100; without it the seminar's own
    `attendance_required_percent`). Whether the seminar exists is known only when it is asked."""
    entries = mapping_entries(key, node)
    known_keys(key, entries, ("seminar", "percent"))
    found: Requirement = {"kind": "attendance", "seminar": None, "percent": None}
    for name, _key_node, value_node in entries:
        if name == "seminar":
            found["seminar"] = identifier(f"{key}.seminar", value_node, None)
        else:
            found["percent"] = integer(0, 100)(f"{key}.percent", value_node, constructed(value_node))
    if found["seminar"] is None:
        raise Invalid("E108", f"'{key}' must name its seminar (`seminar: id`)", node)
    return found


def completion(key: str, node: yaml.Node, value: Any) -> CompletionValue:
    """`all`, `{percent: N}` with 1 <= N <= 100, or a mapping of item kinds to what done means
    (`{lessons: all, quizzes: passed, scenarios: none}`; a kind not named counts, done as usual);
    either mapping may add `attendance: {seminar: id, percent: N}`.
    Returns (rule, percent, the item kinds that count, the requirements beyond items)."""
    if isinstance(node, yaml.ScalarNode) and text(key, node, value) == "all":
        return ("all", 100, EVERY_KIND, [])
    if not isinstance(node, yaml.MappingNode):
        raise Invalid("E108", "'completion' must be 'all', '{percent: N}' or a mapping of item kinds", node)
    entries = mapping_entries(key, node)
    extra = [
        attendance_requirement(f"{key}.{name}", item)
        for name, _key_node, item in entries
        if name == "attendance"
    ]
    entries = [entry for entry in entries if entry[0] != "attendance"]
    names = {name for name, _key_node, _value in entries}
    if names == {"percent"}:
        percent_node = entries[0][2]
        percent = constructed(percent_node)
        if isinstance(percent, int) and not isinstance(percent, bool) and 1 <= percent <= 100:
            return ("percent", percent, EVERY_KIND, extra)
        raise Invalid("E108", "'completion' percent must be a whole number from 1 to 100", percent_node)
    if "percent" in names:
        raise Invalid("E108", "'completion' takes either 'percent' or item kinds, not both", node)
    known_keys(key, entries, (*COMPLETION_KINDS, "attendance"))
    counted = dict.fromkeys(COMPLETION_KINDS, True)
    for name, _key_node, value_node in entries:
        done = COMPLETION_KINDS[name][1]
        word = text(f"{key}.{name}", value_node, None)
        if word not in (done, "none"):
            raise Invalid("E108", f"'{key}.{name}' must be one of: {done}, none (got {word!r})", value_node)
        counted[name] = word == done
    kinds = tuple(COMPLETION_KINDS[name][0] for name, counts in counted.items() if counts)
    if not kinds:
        raise Invalid(
            "E108", "'completion' leaves out every item kind: nothing would complete the course", node
        )
    return ("items" if entries else "all", 100, kinds, extra)


REQUIREMENT_KINDS = ("module", "course", "quiz")


def requirements(key: str, node: yaml.Node, value: Any) -> list[dict[str, Any]]:
    """What must be done before a course or module opens: a list of `- module: id`,
    `- course: id` (completed) and `- quiz: id` (passed; `min_score: N` asks for at least N %).

    Returns [{"kind", "key"} (+ "min_score")]; whether the ids exist is checked across the tree.
    """
    found: list[dict[str, Any]] = []
    for entry in sequence(key, node):
        entries = mapping_entries(key, entry)
        known_keys(key, entries, (*REQUIREMENT_KINDS, "min_score"))
        kinds = [(name, value_node) for name, _key_node, value_node in entries if name in REQUIREMENT_KINDS]
        if len(kinds) != 1:
            raise Invalid("E108", f"each '{key}' entry names one of: {', '.join(REQUIREMENT_KINDS)}", entry)
        kind, id_node = kinds[0]
        requirement: dict[str, Any] = {"kind": kind, "key": identifier(kind, id_node, None)}
        for name, key_node, value_node in entries:
            if name != "min_score":
                continue
            if kind != "quiz":
                raise Invalid("E108", "'min_score' applies to a quiz requirement only", key_node)
            requirement["min_score"] = integer(0, 100)("min_score", value_node, constructed(value_node))
        found.append(requirement)
    return found


def opening_date(key: str, node: yaml.Node, value: Any) -> date:
    """A calendar date written `2027-03-01`; it opens at the start of that day, school time."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise Invalid("E108", f"'{key}' must be a date written YYYY-MM-DD", node)
    return value


COMPLETION_MODES = ("button", "view")

COURSE_FIELDS: dict[str, Field] = {
    "id": Field(identifier, required=True),
    "title": Field(at_most(TITLE_LENGTH, required_text), required=True),
    "summary": Field(text, required=True),
    "audience": Field(at_most(TITLE_LENGTH, text)),
    "estimated_hours": Field(number),
    "modules": Field(name_list, required=True),
    "completion": Field(completion),
    "lesson_completion": Field(choice(*COMPLETION_MODES)),
    "requires": Field(requirements),
    "opens": Field(opening_date),
    "renamed_from": Field(identifier_list),
}

MODULE_FIELDS: dict[str, Field] = {
    "id": Field(identifier, required=True),
    "title": Field(at_most(TITLE_LENGTH, required_text), required=True),
    "summary": Field(text),
    "items": Field(name_list, required=True),
    "requires": Field(requirements),
    "opens": Field(opening_date),
    "renamed_from": Field(identifier_list),
}

ITEM_FIELDS: dict[str, Field] = {
    "id": Field(identifier, required=True),
    "title": Field(at_most(TITLE_LENGTH, required_text), required=True),
    "type": Field(text),
    "minutes": Field(whole_number),
    "complete": Field(choice(*COMPLETION_MODES)),
    "summary": Field(text),
    "renamed_from": Field(identifier_list),
}


def constructed(node: yaml.Node) -> Any:
    """The plain Python value of a YAML node (for values inside a mapping the kind checks itself)."""
    return SafeConstructor().construct_document(node)


Entry = tuple[str, yaml.Node, yaml.Node]


def mapping_entries(key: str, node: yaml.Node, *, allow_null: bool = False) -> list[Entry]:
    """The (name, key node, value node) entries of a mapping value, checking names and repeats."""
    if allow_null and isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
        return []
    if not isinstance(node, yaml.MappingNode):
        raise Invalid("E108", f"'{key}' must be a mapping of `name: value` lines", node)
    found: list[Entry] = []
    seen: set[str] = set()
    for key_node, value_node in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if name in seen:
            raise Invalid("E107", f"duplicate key '{name}' in '{key}'", key_node)
        seen.add(name)
        found.append((name, key_node, value_node))
    return found


def known_keys(key: str, entries: list[Entry], known: tuple[str, ...]) -> None:
    """Refuse a name not in `known`, suggesting the closest one."""
    for name, key_node, _value in entries:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            raise Invalid("E106", f"unknown key '{name}' in '{key}'{hint}", key_node)

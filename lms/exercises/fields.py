"""What a scenario's and an assignment's front matter may contain, built from content's checks."""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml

from lms.content.schema import (
    Field,
    Invalid,
    choice,
    constructed,
    integer,
    known_keys,
    mapping_entries,
    required_text,
    sequence,
    text,
)

# Ids inside an exercise: scenario nodes and competencies, rubric criteria.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")
KEY_RULE = "use a lowercase latin letter, then letters, digits, '_' or '-' (at most 80)"


def competencies(key: str, node: yaml.Node, value: Any) -> dict[str, str]:
    """`id: label` lines in written order; at least one."""
    entries = mapping_entries(key, node)
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
    entries = mapping_entries(key, node, allow_null=True)
    known_keys(key, entries, ("ending", "min"))
    rule: dict[str, Any] = {"ending": "any", "min": {}}
    for name, _key_node, value_node in entries:
        if name == "ending":
            rule["ending"] = choice(*PASS_ENDINGS)(f"{key}.ending", value_node, None)
            continue
        for competency, _node, number_node in mapping_entries(f"{key}.min", value_node, allow_null=True):
            minimum = constructed(number_node)
            if isinstance(minimum, bool) or not isinstance(minimum, int):
                raise Invalid("E108", f"'{key}.min.{competency}' must be a whole number", number_node)
            rule["min"][competency] = minimum
    return rule


ATTACHMENT_TYPES = ("pdf", "docx", "xlsx", "png", "jpg", "jpeg", "webp")
_JPEG = ("jpg", "jpeg")  # one kind of file: allowing either name allows both


def attachments(key: str, node: yaml.Node, value: Any) -> dict[str, Any]:
    """`{max_files: 1-10, max_mb: 1-50, types: [...]}`; every part has a default."""
    entries = mapping_entries(key, node, allow_null=True)
    known_keys(key, entries, ("max_files", "max_mb", "types"))
    policy: dict[str, Any] = {"max_files": 3, "max_mb": 10, "types": list(ATTACHMENT_TYPES)}
    bounds = {"max_files": (1, 10), "max_mb": (1, 50)}
    for name, _key_node, value_node in entries:
        if name in bounds:
            policy[name] = integer(*bounds[name])(f"{key}.{name}", value_node, constructed(value_node))
            continue
        types: list[str] = []
        for item in sequence(f"{key}.types", value_node):
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


WORD_LIMIT = 100_000  # far above any task; the answer box holds 50,000 characters


def word_limits(key: str, node: yaml.Node, value: Any) -> dict[str, int | None]:
    """`{min: N, max: N}`, either may be left out; min not above max."""
    entries = mapping_entries(key, node)
    known_keys(key, entries, ("min", "max"))
    limits: dict[str, int | None] = {"min": None, "max": None}
    nodes: dict[str, yaml.Node] = {}
    for name, _key_node, value_node in entries:
        limits[name] = integer(1, WORD_LIMIT)(f"{key}.{name}", value_node, constructed(value_node))
        nodes[name] = value_node
    if not nodes:
        raise Invalid("E108", f"'{key}' needs `min`, `max` or both, e.g. {{min: 700, max: 1500}}", node)
    low, high = limits["min"], limits["max"]
    if low is not None and high is not None and low > high:
        raise Invalid("E612", f"'{key}': min {low} is more than max {high}", nodes["min"])
    return limits


SCENARIO_FIELDS: dict[str, Field] = {
    "competencies": Field(competencies, required=True),
    "start": Field(required_text),
    "feedback": Field(choice("immediate", "debrief")),
    "counts": Field(choice("best", "last")),
    "pass": Field(scenario_pass),
}
# The policy a scenario gets for every key its front matter leaves out (start: the first node).
SCENARIO_DEFAULTS: dict[str, Any] = {
    "start": None,
    "feedback": "immediate",
    "counts": "best",
    "pass": {"ending": "any", "min": {}},
}

ASSIGNMENT_FIELDS: dict[str, Field] = {
    "pass_points": Field(integer(0), required=True),
    "attachments": Field(attachments),  # omitted: text only (payload `attachments: null`)
    "words": Field(word_limits),  # omitted: any length (payload `words: null`)
    # `team: region`: the candidates of one region share one submission (lms/exercises/team.py).
    "team": Field(choice("region")),
    # The Markdown a team's shared draft starts with (omitted: the plan's usual sections).
    "draft_template": Field(text),
}

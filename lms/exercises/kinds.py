"""The `scenario` and `assignment` item kinds: conversations and field assignments."""

from __future__ import annotations

from lms.content.registry import ItemKind, no_checks, nothing_after_import
from lms.exercises.fields import ASSIGNMENT_FIELDS, SCENARIO_FIELDS
from lms.exercises.rubric import parse_assignment
from lms.exercises.scenario import parse_scenario

# Both parsers report every problem of their body themselves; an item's snapshot is taken when a
# candidate starts it, not at import.
SCENARIO = ItemKind(
    name="scenario",
    fields=SCENARIO_FIELDS,
    body=parse_scenario,
    lint=no_checks,
    page="exercises.scenario",
    page_key="item_key",
    after_import=nothing_after_import,
)

ASSIGNMENT = ItemKind(
    name="assignment",
    fields=ASSIGNMENT_FIELDS,
    body=parse_assignment,
    lint=no_checks,
    page="exercises.assignment",
    page_key="item_key",
    after_import=nothing_after_import,
)

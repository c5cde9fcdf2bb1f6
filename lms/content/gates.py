"""Prerequisites and release dates across the tree: every `requires` entry names something that
exists and is of the kind it says, and no chain of requirements waits on itself.

Pure (no Flask): `flask lms check`, the importer and editors run it on the loaded tree. Whether a
candidate has met a requirement is progress's business (`lms/progress/gates.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from lms.content.frontmatter import SourceFile

QUIZ_KIND = "quiz"


@dataclass
class Gate:
    """A course or module that opens on a date or after other work is done."""

    kind: str  # "course" | "module"
    id: str
    course_id: str
    requires: list[dict[str, Any]]
    opens: date | None
    source: SourceFile


@dataclass
class TreeIndex:
    """What the check needs to know of the tree: which ids exist, of what kind, inside what."""

    courses: set[str] = field(default_factory=set)
    module_course: dict[str, str] = field(default_factory=dict)  # module id -> course id
    item_module: dict[str, str] = field(default_factory=dict)  # item id -> module id
    item_kind: dict[str, str] = field(default_factory=dict)  # item id -> kind name
    course_modules: dict[str, list[str]] = field(default_factory=dict)


def _node_key(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


def _entry_value_node(entry: yaml.Node, kind: str) -> yaml.Node:
    """Where the author wrote the id of a requirement entry (for `path:line:col`)."""
    if isinstance(entry, yaml.MappingNode):
        for key_node, value_node in entry.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == kind:
                return value_node
    return entry


def _waits_on(requirement: dict[str, Any], tree: TreeIndex) -> list[str]:
    """The gates a requirement can only be met after: a module's own gate, a course's gate and
    those of all its modules, the gate of the module a quiz sits in."""
    kind, key = requirement["kind"], requirement["key"]
    if kind == "module":
        return [_node_key("module", key)] if key in tree.module_course else []
    if kind == "course":
        return [_node_key("course", key)] + [_node_key("module", m) for m in tree.course_modules.get(key, [])]
    module = tree.item_module.get(key)
    return [_node_key("module", module)] if module else []


def check_gates(gates: Iterable[Gate], tree: TreeIndex) -> None:
    """Report unknown or wrong-kind references (E211, E212) and requirement cycles (E213)."""
    gates = list(gates)
    edges: dict[str, list[tuple[str, Gate | None, int]]] = {}
    for module, course in tree.module_course.items():  # a module opens only inside its open course
        edges.setdefault(_node_key("module", module), []).append((_node_key("course", course), None, -1))
    for gate in gates:
        entries = gate.source.value_nodes("requires")
        for index, requirement in enumerate(gate.requires):
            kind, key = requirement["kind"], requirement["key"]
            node = _entry_value_node(entries[index], kind) if index < len(entries) else None
            problem = _reference_problem(kind, key, tree)
            if problem is not None:
                code, message = problem
                if node is not None:
                    gate.source.add_at(node, code, message)
                else:
                    gate.source.add(code, message)
                continue
            for target in _waits_on(requirement, tree):
                edges.setdefault(_node_key(gate.kind, gate.id), []).append((target, gate, index))
    _report_cycles(edges)


def _reference_problem(kind: str, key: str, tree: TreeIndex) -> tuple[str, str] | None:
    if kind == "course" and key not in tree.courses:
        return "E211", f"requires course '{key}', which is not in the tree"
    if kind == "module" and key not in tree.module_course:
        return "E211", f"requires module '{key}', which is not in the tree"
    if kind == "quiz":
        if key not in tree.item_kind:
            return "E211", f"requires quiz '{key}', which is not in the tree"
        if tree.item_kind[key] != QUIZ_KIND:
            return "E212", f"'{key}' is a {tree.item_kind[key]}, not a quiz: require its module instead"
    return None


def _report_cycles(edges: dict[str, list[tuple[str, Gate | None, int]]]) -> None:
    """Depth-first search; each cycle is reported once, at the last requirement written in it
    (the step from a module to its own course is implied, not written)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[tuple[str, Gate | None, int]] = []  # (node, the edge that entered it)
    reported: set[tuple[int, int]] = set()  # a requirement closing several loops is named once

    def report(loop: list[tuple[str, Gate | None, int]], closing: tuple[str, Gate | None, int]) -> None:
        written = [(gate, index) for _node, gate, index in [*loop[1:], closing] if gate is not None]
        if not written or any((id(gate), index) in reported for gate, index in written):
            return
        gate, index = written[-1]
        reported.add((id(gate), index))
        chain = " → ".join([node for node, _gate, _index in loop] + [closing[0]])
        nodes = gate.source.value_nodes("requires")
        message = f"requirements wait on each other: {chain}"
        if index < len(nodes):
            gate.source.add_at(nodes[index], "E213", message)
        else:
            gate.source.add("E213", message)

    def visit(start: str) -> None:
        stack = [iter(edges.get(start, []))]
        state[start] = 1
        path.append((start, None, -1))
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                state[path.pop()[0]] = 2
                continue
            target = step[0]
            if state.get(target) == 1:
                position = next(i for i, (node, _g, _i) in enumerate(path) if node == target)
                report(path[position:], step)
            elif state.get(target) is None:
                state[target] = 1
                path.append(step)
                stack.append(iter(edges.get(target, [])))

    for start in list(edges):
        if state.get(start) is None:
            visit(start)

"""Scenario graphs without Markdown: ways in and out, loops that earn points, best scores.

Definitions (docs/authoring.md, "Conversation scenarios", repeats them for authors):

* A *path* is a simple path: a run of replies from a node to an ending that visits no node
  twice. Its score for a competency is the sum of that competency's effects over its replies.
* `best[c]` is the highest score for `c` over the paths from the start; competencies are
  maximised one at a time, so different competencies may take their best on different paths.
* `strong[n]` is, for a node with a way out, the first reply (lowest index) that lies on a path
  from `n` which is best by: the highest sum of all effects, then ending at a `good` ending,
  then the fewest replies.

A scenario with a *scoring loop* (a loop whose effects add up to more than 0 for some
competency) is rejected, since going round it would score without limit. Without one, no walk
(a run that may repeat nodes) scores more than the best path: cutting a loop out of a walk never
lowers its score and, as every loop costs at least one reply, always shortens it. So the best
walk is a path, and Bellman-Ford's longest-walk relaxation finds it exactly in O(nodes x replies)
per competency, without enumerating paths. A playthrough is such a walk, so it never scores
above `best`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

GOOD = "good"


@dataclass(frozen=True)
class Reply:
    """One reply of a node: its place among the node's replies, its target and its effects."""

    index: int
    target: str
    effects: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """The sum of all its effects."""
        return sum(self.effects.values())


@dataclass(frozen=True)
class Node:
    """A node; `ending` is None, "any" (a plain `[ending]`) or "good"."""

    key: str
    ending: str | None = None
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class Graph:
    """Nodes in file order and the start (None when the start names no node)."""

    nodes: Mapping[str, Node]
    start: str | None

    def edges(self, key: str) -> list[Reply]:
        """Replies of a node whose target exists; the others are reported by the parser."""
        return [reply for reply in self.nodes[key].replies if reply.target in self.nodes]

    def endings(self) -> list[str]:
        return [key for key, node in self.nodes.items() if node.ending]


Loop = tuple[tuple[str, Reply], ...]  # (node, reply taken from it), once round the loop


@dataclass(frozen=True)
class Finding:
    """A graph problem: `kind` is one of no_ending, no_replies, unreachable, stuck, scoring_loop."""

    kind: str
    node: str
    loop: Loop = ()
    competencies: tuple[str, ...] = ()


def reachable(graph: Graph) -> set[str]:
    """Nodes a playthrough can get to from the start (the start included)."""
    start = graph.start
    if start is None or start not in graph.nodes:
        return set()
    seen = {start}
    queue = deque([start])
    while queue:
        for reply in graph.edges(queue.popleft()):
            if reply.target not in seen:
                seen.add(reply.target)
                queue.append(reply.target)
    return seen


def can_finish(graph: Graph) -> set[str]:
    """Nodes from which some ending can be reached (endings included)."""
    sources: dict[str, set[str]] = {key: set() for key in graph.nodes}
    for key in graph.nodes:
        for reply in graph.edges(key):
            sources[reply.target].add(key)
    done = set(graph.endings())
    queue = deque(done)
    while queue:
        for key in sources[queue.popleft()]:
            if key not in done:
                done.add(key)
                queue.append(key)
    return done


def _longest(
    graph: Graph, weight: Callable[[Reply], int], sources: Iterable[str]
) -> tuple[dict[str, int], dict[str, tuple[str, Reply]], str | None]:
    """Longest walks from `sources` (Bellman-Ford); the last item is a node still improving
    after |nodes| rounds, which only happens when a scoring loop is reachable."""
    score = dict.fromkeys(sources, 0)
    came_from: dict[str, tuple[str, Reply]] = {}
    improved: str | None = None
    for _round in range(len(graph.nodes)):
        improved = None
        for key in graph.nodes:
            if key not in score:
                continue
            for reply in graph.edges(key):
                value = score[key] + weight(reply)
                if reply.target not in score or value > score[reply.target]:
                    score[reply.target] = value
                    came_from[reply.target] = (key, reply)
                    improved = reply.target
        if improved is None:
            break
    return score, came_from, improved


def scoring_loop(graph: Graph, competency: str) -> Loop | None:
    """A loop whose effects on `competency` add up to more than 0, from its earliest node."""
    _score, came_from, improved = _longest(graph, lambda reply: reply.effects.get(competency, 0), graph.nodes)
    if improved is None:
        return None
    # Every loop among the `came_from` links earns points (CLRS lemma 24.16, for longest walks).
    for first in [improved, *came_from]:
        walked: list[str] = []
        key: str | None = first
        while key is not None and key not in walked:
            walked.append(key)
            key = came_from[key][0] if key in came_from else None
        if key is None:
            continue
        on_loop = walked[walked.index(key) :]  # followed backwards: each came from the next
        loop = [came_from[node] for node in reversed(on_loop)]
        order = list(graph.nodes)
        start = min(range(len(loop)), key=lambda i: order.index(loop[i][0]))
        return tuple(loop[start:] + loop[:start])
    return None


def _effect_of(competency: str) -> Callable[[Reply], int]:
    """A reply's weight for one competency: what it adds to that competency's score."""
    return lambda reply: reply.effects.get(competency, 0)


def best_scores(graph: Graph, competencies: Iterable[str]) -> dict[str, int]:
    """`best[c]`: the highest score for each competency over the paths from the start to an ending."""
    best: dict[str, int] = {}
    endings = graph.endings()
    for competency in competencies:
        start = [graph.start] if graph.start is not None and graph.start in graph.nodes else []
        score, _came_from, _improved = _longest(graph, _effect_of(competency), start)
        reached = [score[key] for key in endings if key in score]
        best[competency] = max(reached) if reached else 0
    return best


Value = tuple[int, int, int]  # (sum of all effects, 1 if the ending is good, -replies): higher is better


def ways_out(graph: Graph) -> dict[str, Value]:
    """The value of the best path from each node that has one (endings: their own value)."""
    value: dict[str, Value] = {
        key: (0, int(node.ending == GOOD), 0) for key, node in graph.nodes.items() if node.ending
    }
    for _round in range(len(graph.nodes)):
        changed = False
        for key, node in graph.nodes.items():
            if node.ending:
                continue
            for reply in graph.edges(key):
                after = value.get(reply.target)
                if after is None:
                    continue
                candidate = (after[0] + reply.total, after[1], after[2] - 1)
                if key not in value or candidate > value[key]:
                    value[key] = candidate
                    changed = True
        if not changed:
            break
    return value


def strong_replies(graph: Graph) -> dict[str, int]:
    """`strong[n]` for every node that is not an ending and has a way out."""
    value = ways_out(graph)
    strong: dict[str, int] = {}
    for key, node in graph.nodes.items():
        if node.ending or key not in value:
            continue
        for reply in graph.edges(key):
            after = value.get(reply.target)
            if after is not None and (after[0] + reply.total, after[1], after[2] - 1) == value[key]:
                strong[key] = reply.index
                break
        else:  # only with a scoring loop, where values never settle: the best-looking reply
            candidates = [r for r in graph.edges(key) if r.target in value]
            best = max(candidates, key=lambda r: (r.total + value[r.target][0], -r.index))
            strong[key] = best.index
    return strong


def find_problems(graph: Graph, competencies: Iterable[str]) -> list[Finding]:
    """Everything that makes a graph unplayable or its scores meaningless."""
    findings: list[Finding] = []
    if not graph.nodes:
        return findings
    has_endings = bool(graph.endings())
    if not has_endings:
        findings.append(Finding("no_ending", next(iter(graph.nodes))))
    seen = reachable(graph)
    finish = can_finish(graph)
    for key, node in graph.nodes.items():
        if not node.ending and not node.replies:
            findings.append(Finding("no_replies", key))
        elif graph.start in graph.nodes and key not in seen:
            findings.append(Finding("unreachable", key))
        elif has_endings and key not in finish:
            findings.append(Finding("stuck", key))
    loops: dict[tuple[tuple[str, int], ...], tuple[Loop, list[str]]] = {}
    for competency in competencies:
        loop = scoring_loop(graph, competency)
        if loop is not None:
            steps = tuple((key, reply.index) for key, reply in loop)
            loops.setdefault(steps, (loop, []))[1].append(competency)
    for loop, names in loops.values():
        findings.append(Finding("scoring_loop", loop[0][0], loop=loop, competencies=tuple(names)))
    return findings

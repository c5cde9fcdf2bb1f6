"""Scenario graph analysis: ways in and out, scoring loops, best scores and strong replies."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.exercises.graph import (
    GOOD,
    Finding,
    Graph,
    Node,
    Reply,
    best_scores,
    can_finish,
    find_problems,
    reachable,
    scoring_loop,
    strong_replies,
)
from tests.exercises.exfiles import COMPETENCIES, scenario_graphs, simple_paths


def graph(start: str, *nodes: Node) -> Graph:
    return Graph({node.key: node for node in nodes}, start)


def node(key: str, *replies: tuple[str, dict[str, int]], ending: str | None = None) -> Node:
    return Node(key, ending, tuple(Reply(i, target, effects) for i, (target, effects) in enumerate(replies)))


DOOR = graph(
    "dver",
    node("dver", ("vopros", {"l": 1}), ("monolog", {"l": -1}), ("vopros", {})),
    node("vopros", ("problema", {"l": 2, "c": 1}), ("otkaz", {"c": -1})),
    node("monolog", ("dver", {"l": -1}), ("otkaz", {})),
    node("problema", ("otkaz", {"c": -1}), ("uspeh", {"c": 1})),
    node("uspeh", ending=GOOD),
    node("otkaz", ending="any"),
)


def test_reachable_and_can_finish() -> None:
    broken = graph(
        "a",
        node("a", ("b", {}), ("nowhere", {})),
        node("b", ("c", {})),
        node("c", ("b", {})),  # b and c only lead to each other
        node("island", ("end", {})),
        node("end", ending="any"),
    )
    assert reachable(broken) == {"a", "b", "c"}
    assert can_finish(broken) == {"island", "end"}
    assert reachable(graph("missing", node("a"))) == set()
    assert reachable(DOOR) == set(DOOR.nodes) == can_finish(DOOR)


def test_find_problems_names_each_node_once() -> None:
    broken = graph(
        "a",
        node("a", ("b", {}), ("dead", {}), ("end", {})),
        node("b", ("c", {})),
        node("c", ("b", {})),
        node("dead"),
        node("island", ("end", {})),
        node("end", ending="any"),
    )
    assert find_problems(broken, ["x"]) == [
        Finding("stuck", "b"),
        Finding("stuck", "c"),
        Finding("no_replies", "dead"),
        Finding("unreachable", "island"),
    ]
    assert find_problems(graph("a", node("a", ("a", {}))), []) == [Finding("no_ending", "a")]
    assert find_problems(DOOR, ["l", "c"]) == []


def test_a_loop_that_earns_points_is_found_from_its_earliest_node() -> None:
    looping = graph(
        "a",
        node("a", ("b", {"x": 1}), ("end", {})),
        node("b", ("c", {"x": 1, "y": -5}), ("end", {})),
        node("c", ("a", {"x": -1}), ("c", {"y": 1}), ("end", {})),
        node("end", ending="any"),
    )
    loop = scoring_loop(looping, "x")
    assert loop is not None and [(key, reply.index) for key, reply in loop] == [("a", 0), ("b", 0), ("c", 0)]
    self_loop = scoring_loop(looping, "y")
    assert self_loop is not None and [(key, reply.index) for key, reply in self_loop] == [("c", 1)]
    [x_loop, y_loop] = [f for f in find_problems(looping, ["x", "y"]) if f.kind == "scoring_loop"]
    assert (x_loop.node, x_loop.competencies, y_loop.node, y_loop.competencies) == ("a", ("x",), "c", ("y",))
    assert scoring_loop(DOOR, "l") is None  # dver → monolog → dver costs 2


def test_best_scores_take_each_competency_on_its_own_best_path() -> None:
    assert best_scores(DOOR, ["l", "c", "unused"]) == {"l": 3, "c": 2, "unused": 0}
    negative = graph("a", node("a", ("end", {"l": -2}), ("end", {"l": -1})), node("end", ending="any"))
    assert best_scores(negative, ["l"]) == {"l": -1}
    assert best_scores(graph("a", node("a", ending=GOOD)), ["l"]) == {"l": 0}


def test_strong_reply_prefers_points_then_a_good_ending_then_fewer_steps_then_the_first() -> None:
    assert strong_replies(DOOR) == {"dver": 0, "vopros": 0, "monolog": 0, "problema": 1}
    ties = graph(
        "a",
        node("a", ("plain", {"x": 1}), ("good", {"x": 1}), ("b", {})),
        node("b", ("good", {"x": 1})),
        node("c", ("good", {}), ("plain", {})),
        node("d", ("b", {}), ("good", {"x": 1}), ("good", {"x": 1})),
        node("plain", ending="any"),
        node("good", ending=GOOD),
    )
    assert strong_replies(ties) == {"a": 1, "b": 0, "c": 0, "d": 1}


def _random_play(graph: Graph, seed: int, steps: int = 40) -> tuple[list[str], dict[str, int]]:
    chooser = random.Random(seed)
    key = graph.start
    assert key is not None
    visited = [key]
    scores = dict.fromkeys(COMPETENCIES, 0)
    for _step in range(steps):
        if graph.nodes[key].ending:
            break
        reply = chooser.choice(graph.edges(key))
        for name, value in reply.effects.items():
            scores[name] += value
        key = reply.target
        visited.append(key)
    return visited, scores


@settings(max_examples=300, deadline=None)
@given(scenario_graphs(), st.integers(0, 2**32))
def test_accepted_graphs_are_playable_and_scores_match_brute_force(graph: Graph, seed: int) -> None:
    problems = find_problems(graph, COMPETENCIES)
    if any(f.kind == "scoring_loop" for f in problems):
        return
    # Without a scoring loop the fast search agrees with enumerating every simple path.
    paths = list(simple_paths(graph, "n0"))
    scores = [{c: sum(r.effects.get(c, 0) for r in path) for c in COMPETENCIES} for path, _end in paths]
    expected = {c: max((score[c] for score in scores), default=0) for c in COMPETENCIES}
    assert best_scores(graph, COMPETENCIES) == expected
    strong = {}
    for key, node in graph.nodes.items():
        if node.ending:
            continue
        ranked = [
            (sum(r.total for r in p), int(graph.nodes[end].ending == GOOD), -len(p), -p[0].index)
            for p, end in simple_paths(graph, key)
        ]
        if ranked:
            strong[key] = -max(ranked)[3]
    assert strong_replies(graph) == strong
    if problems:
        return
    for key in reachable(graph):
        assert any(True for _path in simple_paths(graph, key)), f"no way out of {key}"
    visited, scores = _random_play(graph, seed)
    assert set(visited) <= set(graph.nodes)
    if graph.nodes[visited[-1]].ending:
        assert all(scores[c] <= best for c, best in best_scores(graph, COMPETENCIES).items())


@settings(max_examples=200, deadline=None)
@given(scenario_graphs())
def test_scoring_loops_exist_exactly_when_a_simple_cycle_earns_points(graph: Graph) -> None:
    def cycles(start: str, key: str, replies: list[Reply], seen: set[str]):
        for reply in graph.edges(key):
            if reply.target == start:
                yield [*replies, reply]
            elif reply.target not in seen and reply.target > start:  # each cycle from its smallest node
                yield from cycles(start, reply.target, [*replies, reply], seen | {reply.target})

    every = [cycle for key in graph.nodes for cycle in cycles(key, key, [], {key})]
    for competency in COMPETENCIES:
        loop = scoring_loop(graph, competency)
        earning = any(sum(r.effects.get(competency, 0) for r in cycle) > 0 for cycle in every)
        assert (loop is not None) == earning
        if loop is not None:
            assert sum(reply.effects.get(competency, 0) for _key, reply in loop) > 0
            keys = [key for key, _reply in loop]
            assert [reply.target for _key, reply in loop] == keys[1:] + keys[:1]
            assert [graph.nodes[key].replies[reply.index] for key, reply in loop] == [r for _k, r in loop]

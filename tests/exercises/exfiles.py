"""Exercise fixture trees, one-file course trees and random scenario graphs for the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hypothesis import strategies as st

from lms.content.loader import load_tree
from lms.exercises.graph import GOOD, Graph, Node, Reply

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
# Course ex-course, module ex-module: lesson ex-urok, scenario sc-door, assignment as-plan.
EXERCISES_TREE = FIXTURES / "exercises"
BROKEN_TREE = FIXTURES / "exercises-broken"
COURSE_ID = "ex-course"
SCENARIO_ID = "sc-door"
ASSIGNMENT_ID = "as-plan"
ITEM_PATH = "c/m/item.md"


def item_tree(root: Path, kind: str, front: str, body: str) -> Path:
    """A course `c` with one module holding `item.md` of `kind`; `front` adds front matter lines."""
    module = root / "c" / "m"
    module.mkdir(parents=True, exist_ok=True)
    (root / "c" / "course.md").write_text(
        "---\nid: c-course\ntitle: C\nsummary: S\nmodules: [m]\n---\n", encoding="utf-8"
    )
    module_md = "---\nid: c-module\ntitle: M\nitems: [item.md]\n---\n"
    (module / "module.md").write_text(module_md, encoding="utf-8")
    text = f"---\nid: item\ntitle: I\ntype: {kind}\n{front}---\n{body}"
    (module / "item.md").write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path, kind: str, front: str, body: str) -> list[str]:
    """`path:line:col: CODE` of every problem in a one-item tree."""
    result = load_tree(item_tree(root, kind, front, body), display_prefix="")
    return [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in result.problems]


def payload_of(root: Path, kind: str, front: str, body: str) -> dict:
    """The payload of an item that must load without problems."""
    result = load_tree(item_tree(root, kind, front, body), display_prefix="")
    assert [str(p) for p in result.problems] == []
    return result.courses[0].modules[0].lessons[0].payload


# Random graphs: two competencies, nodes n0..nk, n0 the start.
COMPETENCIES = ("a", "b")


@st.composite
def scenario_graphs(draw: st.DrawFn, max_nodes: int = 7) -> Graph:
    """Graphs that are often, not always, sound.

    Each node usually gets a reply from an earlier node (so it is reachable) and every node
    usually has a reply to a later one (so the last node, usually an ending, can be reached);
    extra replies go anywhere and make loops, with effects that may or may not earn points.
    """
    count = draw(st.integers(1, max_nodes))
    keys = [f"n{i}" for i in range(count)]
    endings = [
        draw(st.sampled_from([None] * 5 + ["any", GOOD])) if 0 < i < count - 1 else None for i in range(count)
    ]
    if draw(st.integers(0, 9)):
        endings[-1] = draw(st.sampled_from(["any", GOOD]))
    targets: dict[str, list[str]] = {key: [] for key, ending in zip(keys, endings, strict=True) if not ending}
    for i in range(1, count):
        parents = [key for key in keys[:i] if key in targets]
        if parents and draw(st.integers(0, 9)):
            targets[draw(st.sampled_from(parents))].append(keys[i])
    for i, key in enumerate(keys):
        if key not in targets:
            continue
        if not targets[key] and i + 1 < count and draw(st.integers(0, 9)):
            targets[key].append(keys[draw(st.integers(i + 1, count - 1))])
        targets[key] += draw(st.lists(st.sampled_from(keys), max_size=2))
    effects = st.dictionaries(st.sampled_from(COMPETENCIES), st.integers(-2, 2), max_size=2)
    nodes: dict[str, Node] = {}
    for key, ending in zip(keys, endings, strict=True):
        order = draw(st.permutations(targets[key])) if key in targets else []
        replies = tuple(Reply(index, target, draw(effects)) for index, target in enumerate(order))
        nodes[key] = Node(key, ending, replies)
    return Graph(nodes, keys[0])


def simple_paths(graph: Graph, key: str, seen: tuple[str, ...] = ()) -> Iterator[tuple[list[Reply], str]]:
    """Every simple path from `key` to an ending, as (replies, ending) — the brute-force reference."""
    if graph.nodes[key].ending:
        yield [], key
        return
    for reply in graph.edges(key):
        if reply.target in seen or reply.target == key:
            continue
        for rest, end in simple_paths(graph, reply.target, (*seen, key)):
            yield [reply, *rest], end


def scenario_markdown(graph: Graph) -> str:
    """A scenario file for a graph: every node has text, every ending a debrief."""
    lines = ["---", "id: sc-random", "title: R", "type: scenario", "competencies:"]
    lines += [f"  {name}: {name.upper()}" for name in COMPETENCIES]
    lines += [f"start: {graph.start}", "---", "Введение."]
    for key, node in graph.nodes.items():
        mark = {None: "", "any": " [ending]", GOOD: " [ending good]"}[node.ending]
        lines += ["", f"## {key}{mark}", f"Текст узла {key}.", ""]
        for reply in node.replies:
            effects = ", ".join(f"{name}: {value:+d}" for name, value in reply.effects.items())
            lines.append(f"- Ответ {reply.index} → {reply.target}" + (f" {{{effects}}}" if effects else ""))
    return "\n".join(lines) + "\n"

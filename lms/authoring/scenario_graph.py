"""A scenario file's graph (nodes, and replies as edges) laid out in layers and drawn as SVG.

Shown next to the text in the editor, so an author sees the conversation's shape while writing.
Pure: no Flask, no database; the page passes its translated words (`GraphLabels`). The file is
read with the scenario parser's own node reader, so what is drawn is what the importer reads; its
problems are not repeated here (lint lists them).

Layout: layers are the breadth-first distance from the start (nodes the start cannot reach come
after, in file order); a layer wider than `PER_ROW` wraps onto more rows, so the drawing never gets
wider than `PER_ROW` nodes and scales down on narrow screens. Within a row, nodes are ordered by the
mean position of the nodes that lead to them (fewer crossings), then by file order. Replies that go
down are drawn as curves between rows; replies that go back up or sideways loop round the right side.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import yaml
from markupsafe import Markup

from lms.content.body import Body
from lms.content.frontmatter import SourceFile, split_front_matter, yaml_view
from lms.exercises.nodes import read_nodes

PER_ROW = 4
NODE_W, NODE_H = 150, 44
GAP_X, GAP_Y = 30, 60
MARGIN = 16
TOP = GAP_Y // 2 + 4  # room above the first row for replies between its nodes
LOOP_SPACE = 48  # room right of the widest row for replies that go back up
FONT_SIZE = 12
KEY_CHARS = 20  # a node id longer than this is shortened in its box (the title has it whole)
TEXT_CHARS = 90

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class GraphReply:
    """A reply: its place in the node, its text (plain, shortened), target and effects."""

    index: int
    text: str
    target: str
    effects: dict[str, int]
    free: bool


@dataclass
class GraphNode:
    """A node with its line in the file and its place in the drawing (row, x, y of the box)."""

    key: str
    line: int
    ending: str | None  # None, "any" or "good"
    text: str
    replies: list[GraphReply]
    layer: int = 0
    row: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass
class ScenarioGraph:
    """The nodes in file order, the start and the drawing's size in viewBox units."""

    nodes: dict[str, GraphNode]
    start: str | None
    width: float = 0.0
    height: float = 0.0
    unknown_targets: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def reply_count(self) -> int:
        """Every reply of every node, drawn or not."""
        return sum(len(node.replies) for node in self.nodes.values())


@dataclass(frozen=True)
class GraphLabels:
    """The words of the drawing, in the page's language."""

    title: str
    summary: str  # already formatted ("5 nodes, 8 replies")
    start: str
    ending: str
    good_ending: str
    free: str


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _front_matter(text: str) -> tuple[dict[str, Any], str, int] | None:
    parts = split_front_matter(text)
    if parts is None:
        return None
    yaml_text, body, body_line = parts
    try:
        values = yaml.safe_load(yaml_view(yaml_text))
    except yaml.YAMLError:
        values = None
    return (values if isinstance(values, dict) else {}), body, body_line


def read_graph(text: str) -> ScenarioGraph | None:
    """The laid-out graph of a scenario file's text; None when it has no front matter or no node."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    parts = _front_matter(text)
    if parts is None:
        return None
    values, body_text, body_line = parts
    source = SourceFile(display="", rel_path="", source_hash="", body=body_text, body_line=body_line)
    _intro, parsed, _headings = read_nodes(Body(source))
    if not parsed:
        return None
    nodes = {
        key: GraphNode(
            key=key,
            line=node.line,
            ending=node.ending,
            text=_shorten(" ".join(span.text for span in node.text), TEXT_CHARS),
            replies=[
                GraphReply(r.index, _shorten(r.text.text, TEXT_CHARS), r.target or "", r.effects, r.free)
                for r in node.replies
            ],
        )
        for key, node in parsed.items()
    }
    start = values.get("start")
    graph = ScenarioGraph(nodes, start if isinstance(start, str) and start in nodes else next(iter(nodes)))
    graph.unknown_targets = [
        (node.key, reply.index, reply.target)
        for node in nodes.values()
        for reply in node.replies
        if reply.target not in nodes
    ]
    _lay_out(graph)
    return graph


def _layers(graph: ScenarioGraph) -> None:
    """Breadth-first distance from the start; what it cannot reach follows, from each in file order."""
    placed: set[str] = set()
    next_layer = 0
    for root in [graph.start, *graph.nodes]:
        if root is None or root in placed:
            continue
        graph.nodes[root].layer = next_layer
        placed.add(root)
        queue = deque([root])
        while queue:
            node = graph.nodes[queue.popleft()]
            for reply in node.replies:
                if reply.target in graph.nodes and reply.target not in placed:
                    graph.nodes[reply.target].layer = node.layer + 1
                    placed.add(reply.target)
                    queue.append(reply.target)
        next_layer = max(graph.nodes[key].layer for key in placed) + 1


def _lay_out(graph: ScenarioGraph) -> None:
    _layers(graph)
    order = {key: index for index, key in enumerate(graph.nodes)}
    by_layer: dict[int, list[GraphNode]] = {}
    for node in graph.nodes.values():
        by_layer.setdefault(node.layer, []).append(node)
    sources: dict[str, list[str]] = {key: [] for key in graph.nodes}
    for node in graph.nodes.values():
        for reply in node.replies:
            if reply.target in graph.nodes and reply.target != node.key:
                sources[reply.target].append(node.key)
    position: dict[str, float] = {}  # 0..1 across the row, for the barycentre
    row = 0
    widest = 1
    for layer in sorted(by_layer):
        members = by_layer[layer]

        def barycentre(node: GraphNode) -> tuple[float, int]:
            seen = [position[key] for key in sources[node.key] if key in position]
            return (sum(seen) / len(seen) if seen else 0.5, order[node.key])

        members.sort(key=barycentre)
        for start in range(0, len(members), PER_ROW):
            chunk = members[start : start + PER_ROW]
            widest = max(widest, len(chunk))
            for slot, node in enumerate(chunk):
                node.row = row
                position[node.key] = (slot + 0.5) / len(chunk)
            row += 1
    inner = widest * NODE_W + (widest - 1) * GAP_X
    graph.width = MARGIN * 2 + inner + LOOP_SPACE
    graph.height = TOP + MARGIN + row * NODE_H + (row - 1) * GAP_Y
    rows: dict[int, list[GraphNode]] = {}
    for node in graph.nodes.values():
        rows.setdefault(node.row, []).append(node)
    for row_nodes in rows.values():
        row_nodes.sort(key=lambda node: position[node.key])
        used = len(row_nodes) * NODE_W + (len(row_nodes) - 1) * GAP_X
        left = MARGIN + (inner - used) / 2
        for slot, node in enumerate(row_nodes):
            node.x = left + slot * (NODE_W + GAP_X)
            node.y = TOP + node.row * (NODE_H + GAP_Y)


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text(value: str) -> str:
    return html.escape(_CONTROL_CHARS.sub("", value), quote=True)


def effects_text(effects: dict[str, int]) -> str:
    """`{listening: +1, law: -1}` as written in the file (empty when there are none)."""
    if not effects:
        return ""
    return "{" + ", ".join(f"{name}: {value:+d}" for name, value in effects.items()) + "}"


def _mark(node: GraphNode, graph: ScenarioGraph, labels: GraphLabels) -> str:
    if node.ending == "good":
        return labels.good_ending
    if node.ending:
        return labels.ending
    return labels.start if node.key == graph.start else ""


def _edge_path(source: GraphNode, target: GraphNode, index: int, count: int, lane: int, right: float) -> str:
    """Down: a curve between rows. Sideways or up: straight runs through the gaps between rows
    (where no box is) and a lane right of the widest row, so no line crosses a box."""
    spread = min(14.0, (NODE_W - 30) / max(count, 1))
    x1 = source.x + NODE_W / 2 + (index - (count - 1) / 2) * spread
    if target.row > source.row:
        y1 = source.y + NODE_H
        x2, y2 = target.x + NODE_W / 2, target.y
        bend = (y2 - y1) / 2
        return f"M{_n(x1)} {_n(y1)} C{_n(x1)} {_n(y1 + bend)} {_n(x2)} {_n(y2 - bend)} {_n(x2)} {_n(y2 - 2)}"
    if source.key == target.key:
        x, y = source.x + NODE_W, source.y + NODE_H / 2
        curve = f"C{_n(x + 30)} {_n(y - 26)} {_n(x + 30)} {_n(y + 26)} {_n(x + 2)} {_n(y + 8)}"
        return f"M{_n(x)} {_n(y - 8)} {curve}"
    shift = (lane % 4 - 1.5) * 5
    above = source.y - GAP_Y / 2 + shift
    x2 = target.x + NODE_W / 2 + 18 + shift
    if target.row == source.row:
        over = f"L{_n(x2)} {_n(above)} L{_n(x2)} {_n(target.y - 2)}"
        return f"M{_n(x1)} {_n(source.y)} L{_n(x1)} {_n(above)} {over}"
    x_lane = right + 10 + (lane % 4) * 8
    below = target.y + NODE_H + GAP_Y / 2 + shift
    return (
        f"M{_n(x1)} {_n(source.y)} L{_n(x1)} {_n(above)} L{_n(x_lane)} {_n(above)} "
        f"L{_n(x_lane)} {_n(below)} L{_n(x2)} {_n(below)} L{_n(x2)} {_n(target.y + NODE_H + 2)}"
    )


def graph_svg(graph: ScenarioGraph, labels: GraphLabels) -> Markup:
    """The graph as an inline SVG image (role="img", labelled by its title and summary)."""
    ident = "graph-" + hashlib.sha256("\0".join(graph.nodes).encode()).hexdigest()[:10]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="scenario-graph" role="img" '
        f'aria-label="{_text(labels.title)}: {_text(labels.summary)}" '
        f'viewBox="0 0 {_n(graph.width)} {_n(graph.height)}" width="100%" font-family="sans-serif" '
        f'font-size="{FONT_SIZE}">',
        f"<title>{_text(labels.title)}</title><desc>{_text(labels.summary)}</desc>",
        f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path class="graph-arrow" d="M0 0 L10 5 L0 10 z" '
        'fill="currentColor"/></marker></defs>',
        '<g class="graph-edges" fill="none" stroke="currentColor" stroke-width="1.5">',
    ]
    right = max(node.x + NODE_W for node in graph.nodes.values())
    lanes = 0
    for node in graph.nodes.values():
        drawn = [reply for reply in node.replies if reply.target in graph.nodes]
        for number, reply in enumerate(drawn):
            target = graph.nodes[reply.target]
            path = _edge_path(node, target, number, len(drawn), lanes, right)
            if target.row <= node.row and target.key != node.key:
                lanes += 1
            words = f"{node.key} → {target.key}: {reply.text}"
            if reply.effects:
                words += " " + effects_text(reply.effects)
            if reply.free:
                words = f"{words} ({labels.free})"
            dash = ' stroke-dasharray="5 3"' if reply.free else ""
            kind = "graph-edge graph-edge-free" if reply.free else "graph-edge"
            parts.append(
                f'<path class="{kind}" d="{path}" marker-end="url(#{ident}-arrow)"{dash}>'
                f"<title>{_text(words)}</title></path>"
            )
    parts.append("</g>")
    for node in graph.nodes.values():
        mark = _mark(node, graph, labels)
        kind = "graph-node" + (f" graph-ending-{node.ending}" if node.ending else "")
        kind += " graph-start" if node.key == graph.start else ""
        title = node.key + (f" ({mark})" if mark else "") + (f": {node.text}" if node.text else "")
        width = 3 if node.key == graph.start or node.ending == "good" else 1.5
        rx = 18 if node.ending else 6
        parts.append(
            f'<g class="{kind}"><title>{_text(title)}</title>'
            f'<rect x="{_n(node.x)}" y="{_n(node.y)}" width="{NODE_W}" height="{NODE_H}" rx="{rx}" '
            f'fill="#fff" stroke="currentColor" stroke-width="{width}"/>'
        )
        key_y = node.y + (NODE_H / 2 - 2 if mark else NODE_H / 2 + FONT_SIZE / 3)
        parts.append(
            f'<text x="{_n(node.x + NODE_W / 2)}" y="{_n(key_y)}" text-anchor="middle" '
            f'fill="currentColor" font-weight="bold">{_text(_shorten(node.key, KEY_CHARS))}</text>'
        )
        if mark:
            parts.append(
                f'<text x="{_n(node.x + NODE_W / 2)}" y="{_n(node.y + NODE_H / 2 + FONT_SIZE)}" '
                f'text-anchor="middle" fill="currentColor" font-size="{FONT_SIZE - 1}">{_text(mark)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704  # every text escaped by _text, numbers by _n

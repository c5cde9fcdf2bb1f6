"""The scenario graph: nodes and replies read as the importer reads them, laid out in layers, drawn as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lms.authoring.scenario_graph import PER_ROW, GraphLabels, effects_text, graph_svg, read_graph

SVG = "{http://www.w3.org/2000/svg}"
LABELS = GraphLabels(
    "Граф сценария", "4 узла, 4 ответа", "начало", "концовка", "хорошая концовка", "свой ответ"
)

SCENARIO = """---
id: dver
title: Дверь
type: scenario
competencies: {{listening: Умение слушать}}
start: {start}
---
Введение.

## dver
Житель: «Кто там?»

- Представиться → vopros {{listening: +1}}
- Уйти → otkaz

## vopros
Житель: «И что?»

- (free) Ваш ответ → uspeh
- Вернуться к началу → dver {{listening: -1}}

## uspeh [ending good]
Хорошо.

## otkaz [ending]
Плохо.
"""


def test_nodes_and_replies_are_read_in_file_order():
    graph = read_graph(SCENARIO.format(start="dver"))
    assert graph is not None
    assert list(graph.nodes) == ["dver", "vopros", "uspeh", "otkaz"]
    replies = graph.nodes["dver"].replies
    assert [(r.target, r.effects) for r in replies] == [("vopros", {"listening": 1}), ("otkaz", {})]
    assert graph.nodes["vopros"].replies[0].free is True
    assert graph.nodes["uspeh"].ending == "good"
    assert graph.nodes["otkaz"].ending == "any"
    assert graph.nodes["vopros"].line == 16
    assert graph.reply_count == 4


def test_layers_are_the_distance_from_the_start():
    graph = read_graph(SCENARIO.format(start="dver"))
    assert graph is not None
    layers = {key: node.layer for key, node in graph.nodes.items()}
    assert layers == {"dver": 0, "vopros": 1, "otkaz": 1, "uspeh": 2}
    assert graph.nodes["vopros"].y == graph.nodes["otkaz"].y < graph.nodes["uspeh"].y


def test_the_start_from_the_front_matter_is_layer_zero():
    graph = read_graph(SCENARIO.format(start="vopros"))
    assert graph is not None
    assert graph.start == "vopros"
    assert graph.nodes["vopros"].layer == 0
    assert graph.nodes["dver"].layer == 1
    assert graph.nodes["otkaz"].layer == 2


def test_an_unknown_start_falls_back_to_the_first_node():
    graph = read_graph(SCENARIO.format(start="nowhere"))
    assert graph is not None
    assert graph.start == "dver"


def test_nodes_the_start_cannot_reach_come_after():
    text = SCENARIO.format(start="dver") + "\n## sirota\nНикто сюда не ведёт.\n\n- Дальше → uspeh\n"
    graph = read_graph(text)
    assert graph is not None
    assert graph.nodes["sirota"].layer == 3


def test_a_wide_layer_wraps_onto_rows_of_at_most_per_row_nodes():
    targets = [f"e{i}" for i in range(PER_ROW + 2)]
    replies = "\n".join(f"- Ответ {t} → {t}" for t in targets)
    endings = "\n".join(f"## {t} [ending]\nКонец.\n" for t in targets)
    text = f"---\nid: s\ntitle: S\ntype: scenario\n---\n## a\nТекст.\n\n{replies}\n\n{endings}"
    graph = read_graph(text)
    assert graph is not None
    rows = [graph.nodes[t].row for t in targets]
    assert rows.count(1) == PER_ROW
    assert rows.count(2) == 2
    assert max(node.x for node in graph.nodes.values()) < graph.width


def test_unknown_targets_are_listed_and_not_drawn():
    text = SCENARIO.format(start="dver").replace("→ otkaz", "→ otkza")
    graph = read_graph(text)
    assert graph is not None
    assert graph.unknown_targets == [("dver", 1, "otkza")]
    svg = ET.fromstring(str(graph_svg(graph, LABELS)))
    edges = svg.findall(f".//{SVG}path[@class]")
    assert len([e for e in edges if "graph-edge" in e.get("class", "")]) == 3


def test_headings_inside_fenced_code_are_not_nodes():
    text = SCENARIO.format(start="dver").replace("Введение.", "```\n## not-a-node\n```")
    graph = read_graph(text)
    assert graph is not None
    assert "not-a-node" not in graph.nodes


def test_no_front_matter_or_no_nodes_gives_none():
    assert read_graph("## dver\n- a → b\n") is None
    assert read_graph("---\nid: x\ntitle: X\ntype: scenario\n---\nТолько введение.\n") is None


def test_broken_yaml_still_draws_from_the_first_node():
    text = SCENARIO.format(start="dver").replace("title: Дверь", "title: [Дверь")
    graph = read_graph(text)
    assert graph is not None
    assert graph.start == "dver"


def test_the_svg_is_an_image_with_a_label_and_a_title_for_every_node_and_reply():
    graph = read_graph(SCENARIO.format(start="dver"))
    assert graph is not None
    svg = ET.fromstring(str(graph_svg(graph, LABELS)))
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Граф сценария: 4 узла, 4 ответа"
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert "dver (начало): Житель: «Кто там?»" in titles
    assert "uspeh (хорошая концовка): Хорошо." in titles
    assert "dver → vopros: Представиться {listening: +1}" in titles
    assert "vopros → uspeh: Ваш ответ (свой ответ)" in titles
    free = [p for p in svg.iter(f"{SVG}path") if "graph-edge-free" in p.get("class", "")]
    assert len(free) == 1 and free[0].get("stroke-dasharray")


def test_the_reply_back_up_is_routed_round_the_right_of_the_boxes():
    graph = read_graph(SCENARIO.format(start="dver"))
    assert graph is not None
    svg = ET.fromstring(str(graph_svg(graph, LABELS)))
    paths = svg.iter(f"{SVG}path")
    back = next(p for p in paths if p.findtext(f"{SVG}title", "").startswith("vopros → dver"))
    right = max(node.x for node in graph.nodes.values()) + 150
    xs = [float(v) for v in back.get("d", "").replace("M", " ").replace("L", " ").split()[0::2]]
    assert max(xs) > right


def test_text_is_escaped():
    text = SCENARIO.format(start="dver").replace("Кто там?", "<script>alert(1)</script> & ")
    graph = read_graph(text)
    assert graph is not None
    svg = str(graph_svg(graph, LABELS))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)  # still well-formed XML


def test_effects_are_written_as_in_the_file():
    assert effects_text({"listening": 1, "law": -2}) == "{listening: +1, law: -2}"
    assert effects_text({}) == ""

"""Conversation scenarios: the `scenario` body hook and the pure playthrough helpers.

`parse_scenario` reads `## node` sections with `- reply → target {effects}` lines (see
`lms.exercises.nodes`), checks the graph (`lms.exercises.graph`) and returns a payload of
sanitised HTML and plain data. `initial_state`, `apply_choice`, `passes` and `debrief` play a
payload; the web layer stores the state as JSON between requests.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from lms.content.body import Body
from lms.content.frontmatter import SourceFile
from lms.content.render import Rendered, Renderer
from lms.exercises import graph as graphs
from lms.exercises.fields import SCENARIO_DEFAULTS
from lms.exercises.nodes import ParsedNode, read_nodes
from lms.exercises.text import Pieces, digest, raw

MAX_FREE_TEXT = 5000  # characters of a free-text answer


def _hint(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _entry(node: yaml.Node | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The key and value nodes of `name` in a front matter mapping value."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == name:
                return key_node, value_node
    return None


def _graph(nodes: dict[str, ParsedNode], start: str | None) -> graphs.Graph:
    return graphs.Graph(
        {
            key: graphs.Node(
                key,
                node.ending,
                tuple(graphs.Reply(r.index, r.target or "", dict(r.effects)) for r in node.replies),
            )
            for key, node in nodes.items()
        },
        start,
    )


_GRAPH_MESSAGES = {
    "no_ending": ("E516", "scenario has no ending: mark at least one node `## node-id [ending]`"),
    "no_replies": ("E511", "node '{node}' has no replies: add `- text → node-id` lines or mark it an ending"),
    "unreachable": ("E515", "node '{node}' cannot be reached from the start"),
    "stuck": ("E516", "no ending can be reached from node '{node}' (a dead end or a loop without exit)"),
}


def _loop_words(loop: graphs.Loop) -> str:
    return " → ".join([key for key, _reply in loop] + [loop[0][0]])


class _Checks:
    """Checks that need the whole graph or the front matter, reported at their exact places."""

    def __init__(self, body: Body, nodes: dict[str, ParsedNode], competencies: dict[str, str] | None) -> None:
        self.body = body
        self.source = body.source
        self.nodes = nodes
        self.competencies = competencies

    def start(self, values: dict[str, Any]) -> str | None:
        start = values.get("start")
        if start is None:
            return next(iter(self.nodes), None) if "start" not in self.source.nodes else None
        if start not in self.nodes and self.nodes:
            hint = _hint(start, list(self.nodes))
            self.source.add_at(self.source.nodes["start"][1], "E514", f"start '{start}' is not a node{hint}")
            return None
        return start

    def replies(self) -> None:
        known = list(self.nodes)
        for node in self.nodes.values():
            for reply in node.replies:
                if reply.target is not None and reply.target not in self.nodes:
                    message = f"reply leads to unknown node '{reply.target}'{_hint(reply.target, known)}"
                    self.body.report(reply.line, reply.target_col, "E507", message)
                if self.competencies is None:
                    continue
                for name, col in reply.effect_cols.items():
                    if name not in self.competencies:
                        hint = _hint(name, list(self.competencies))
                        message = f"effect on '{name}', which is not in the scenario's competencies{hint}"
                        self.body.report(reply.line, col, "E509", message)

    def graph(self, graph: graphs.Graph) -> bool:
        """Report the graph's problems; True when there were none."""
        findings = graphs.find_problems(graph, list(self.competencies or {}))
        for finding in findings:
            node = self.nodes[finding.node]
            if finding.kind == "scoring_loop":
                key, reply = finding.loop[0]
                where = self.nodes[key].replies[reply.index]
                message = (
                    f"the loop {_loop_words(finding.loop)} earns {', '.join(finding.competencies)} every time"
                    " round: a loop's effects must add up to 0 or less for each competency"
                )
                self.body.report(where.line, where.col, "E520", message)
                continue
            code, message = _GRAPH_MESSAGES[finding.kind]
            self.body.report(node.line, node.key_col, code, message.format(node=node.key))
        return not findings

    def unscored(self) -> None:
        replies = [reply for node in self.nodes.values() for reply in node.replies]
        scored = {name for reply in replies for name, effect in reply.effects.items() if effect}
        pair = self.source.nodes.get("competencies")
        for name in self.competencies or {}:
            entry = _entry(pair[1] if pair else None, name)
            if name not in scored and entry is not None:
                message = f"no reply scores competency '{name}': its best is 0"
                self.source.add_at(entry[0], "W502", message, warning=True)

    def passing(self, rule: dict[str, Any], best: dict[str, int] | None) -> None:
        """`pass` against the graph: a good ending exists, minimums are declared and reachable."""
        pass_node = self.source.nodes.get("pass", (None, None))[1]
        ending = _entry(pass_node, "ending")
        goods = [node for node in self.nodes.values() if node.ending == graphs.GOOD]
        if rule["ending"] == graphs.GOOD and not goods and ending is not None and self.nodes:
            message = "pass.ending: good, but no node is marked `[ending good]`"
            self.source.add_at(ending[1], "E519", message)
        minimums = _entry(pass_node, "min")
        for name, minimum in rule["min"].items():
            entry = _entry(minimums[1] if minimums else None, name)
            if entry is None or self.competencies is None:
                continue
            if name not in self.competencies:
                hint = _hint(name, list(self.competencies))
                message = f"pass.min names '{name}', which is not a competency{hint}"
                self.source.add_at(entry[0], "E517", message)
            elif best is not None and minimum > best[name]:
                message = f"pass.min {name}: {minimum} is more than the best achievable {best[name]}"
                self.source.add_at(entry[1], "E518", message)


def parse_scenario(source: SourceFile, values: dict[str, Any], render: Renderer) -> Rendered:
    """Check and render a scenario body; the Rendered holds the introduction and the payload."""
    body = Body(source)
    intro, nodes, headings = read_nodes(body)
    if not headings:
        body.report_top("E502", "scenario has no nodes: add `## node-id` headings")
    competencies: dict[str, str] | None = values.get("competencies")
    checks = _Checks(body, nodes, competencies)
    start = checks.start(values)
    checks.replies()
    graph = _graph(nodes, start)
    sound = checks.graph(graph)
    names = list(competencies or {})
    best = graphs.best_scores(graph, names)
    checks.unscored()
    rule = values.get("pass", SCENARIO_DEFAULTS["pass"])
    checks.passing(rule, best if sound and start is not None else None)
    pieces = Pieces(source, render, intro)
    payload: dict[str, Any] = {
        "competencies": [{"key": key, "label": label} for key, label in (competencies or {}).items()],
        "start": start,
        "feedback": values.get("feedback", SCENARIO_DEFAULTS["feedback"]),
        "counts": values.get("counts", SCENARIO_DEFAULTS["counts"]),
        "pass": {"ending": rule["ending"], "min": dict(rule["min"])},
        "nodes": {key: _node_payload(node, pieces) for key, node in nodes.items()},
        "order": list(nodes),
        "best": best,
        "strong_reply": graphs.strong_replies(graph),
    }
    canonical = {key: payload[key] for key in ("competencies", "start", "feedback", "counts", "pass")} | {
        "nodes": [_node_source(node) for node in nodes.values()]
    }
    payload["hash"] = digest(canonical)
    return pieces.rendered(payload)


def _node_payload(node: ParsedNode, pieces: Pieces) -> dict[str, Any]:
    return {
        "key": node.key,
        "line": node.line,
        "html": pieces.html(node.text, piece=node.key),
        "ending": node.ending,
        "replies": [
            {
                "index": reply.index,
                "html": pieces.html([reply.text], piece=f"{node.key}-{reply.index}", inline=True),
                "target": reply.target,
                "effects": dict(reply.effects),
                "feedback_html": pieces.html(reply.feedback, piece=f"{node.key}-{reply.index}-feedback"),
                "free": reply.free,
            }
            for reply in node.replies
        ],
    }


def _node_source(node: ParsedNode) -> dict[str, Any]:
    """A node as written, without positions: what the payload hash covers."""
    replies = [
        {
            "text": reply.text.text,
            "target": reply.target,
            "effects": reply.effects,
            "feedback": raw(reply.feedback),
            "free": reply.free,
        }
        for reply in node.replies
    ]
    return {"key": node.key, "ending": node.ending, "text": raw(node.text), "replies": replies}


# Playing a payload. The state is plain JSON: {"node": str, "path": [{"node", "reply", "free_text"?}],
# "scores": {competency: int}, "finished": bool, "ending": str | None}


def initial_state(payload: dict[str, Any]) -> dict[str, Any]:
    """The state before the first choice (already finished if the start is an ending)."""
    start = payload["start"]
    ending = start if payload["nodes"][start]["ending"] else None
    scores = {competency["key"]: 0 for competency in payload["competencies"]}
    return {"node": start, "path": [], "scores": scores, "finished": ending is not None, "ending": ending}


def apply_choice(
    payload: dict[str, Any], state: dict[str, Any], reply_index: int, free_text: str | None = None
) -> dict[str, Any]:
    """The state after choosing a reply of the current node; ValueError when it is not a valid choice.

    A free-text reply needs a non-blank `free_text` of at most MAX_FREE_TEXT characters; for the
    other replies `free_text` is ignored. The given state is not changed.
    """
    if state.get("finished"):
        raise ValueError("the playthrough is finished")
    node = payload["nodes"].get(state.get("node"))
    if node is None:
        raise ValueError(f"unknown node {state.get('node')!r}")
    replies = node["replies"]
    whole = isinstance(reply_index, int) and not isinstance(reply_index, bool)
    if not whole or not 0 <= reply_index < len(replies):
        raise ValueError(f"node {node['key']!r} has no reply {reply_index!r}")
    reply = replies[reply_index]
    step: dict[str, Any] = {"node": node["key"], "reply": reply_index}
    if reply["free"]:
        text = (free_text or "").strip()
        if not text:
            raise ValueError("this reply needs the candidate's own text")
        if len(text) > MAX_FREE_TEXT:
            raise ValueError(f"the answer is longer than {MAX_FREE_TEXT} characters")
        step["free_text"] = text
    scores = dict(state["scores"])
    for name, effect in reply["effects"].items():
        scores[name] = scores.get(name, 0) + effect
    target = payload["nodes"].get(reply["target"])
    if target is None:
        raise ValueError(f"reply {reply_index} of node {node['key']!r} leads to no node")
    ending = target["key"] if target["ending"] else None
    path = [*state["path"], step]
    finished = ending is not None
    return {"node": target["key"], "path": path, "scores": scores, "finished": finished, "ending": ending}


def passes(payload: dict[str, Any], state: dict[str, Any]) -> bool:
    """Whether a playthrough meets the scenario's pass rule: an ending (a good one if asked), minimums met."""
    if not state.get("finished") or state.get("ending") not in payload["nodes"]:
        return False
    rule = payload["pass"]
    if rule["ending"] == graphs.GOOD and payload["nodes"][state["ending"]]["ending"] != graphs.GOOD:
        return False
    return all(state["scores"].get(name, 0) >= minimum for name, minimum in rule["min"].items())


def debrief(payload: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """What the candidate sees at the end: their path, scores against the best, stronger replies."""
    steps = []
    for step in state["path"]:
        node = payload["nodes"][step["node"]]
        reply = node["replies"][step["reply"]]
        strong = payload["strong_reply"].get(step["node"])
        better = strong is not None and strong != step["reply"]
        steps.append(
            {
                "node": node["key"],
                "node_html": node["html"],
                "reply": step["reply"],
                "reply_html": reply["html"],
                "free_text": step.get("free_text"),
                "feedback_html": reply["feedback_html"],
                "effects": dict(reply["effects"]),
                "strong": not better,
                "strong_reply": strong if better else None,
                "strong_html": node["replies"][strong]["html"] if better else None,
            }
        )
    ending = payload["nodes"].get(state["ending"]) if state.get("ending") else None
    scores = [
        {
            "key": competency["key"],
            "label": competency["label"],
            "score": state["scores"].get(competency["key"], 0),
            "best": payload["best"].get(competency["key"], 0),
            "min": payload["pass"]["min"].get(competency["key"]),
        }
        for competency in payload["competencies"]
    ]
    return {
        "steps": steps,
        "finished": bool(state.get("finished")),
        "ending": ending["key"] if ending else None,
        "ending_html": ending["html"] if ending else "",
        "good": bool(ending and ending["ending"] == graphs.GOOD),
        "scores": scores,
        "passed": passes(payload, state),
    }

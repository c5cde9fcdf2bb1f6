"""Reading a scenario body: `## node` sections, `- reply → target {effects}` lines, `>` feedback."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.content.body import Body, Span
from lms.exercises.fields import KEY_PATTERN, KEY_RULE

_NODE = re.compile(r"^##(?!#)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")  # closing #s are optional
_NODE_TEXT = re.compile(r"(\S+?)(?:[ \t]*\[([^\[\]]*)\])?")
_BULLET = re.compile(r"^[-*+][ \t]+(.*)$")
_FEEDBACK = re.compile(r"^[ \t]*>[ \t]?(.*)$")
_ARROW = re.compile(r"→|->")
_FREE = re.compile(r"\(free\)[ \t]*", re.IGNORECASE)
_TARGET = re.compile(r"[ \t]*([^\s{}]*)[ \t]*")
_EFFECT = re.compile(r"[ \t]*([^\s:,{}]+)[ \t]*:[ \t]*([+\-−]?)[ \t]*(\d+)[ \t]*")
_EFFECTS_IN_TEXT = re.compile(r"\{[^{}]*:[^{}]*\}[ \t]*$")
_ENDINGS = {"ending": "any", "ending good": "good"}
HEADING_FORMS = "`## node-id`, `## node-id [ending]` or `## node-id [ending good]`"


@dataclass
class ParsedReply:
    """One reply as written: its text (after `(free)`), target and effects with their columns."""

    index: int
    line: int
    col: int  # where the reply's text starts
    text: Span
    target: str | None = None  # None: no usable target (reported)
    target_col: int = 0
    effects: dict[str, int] = field(default_factory=dict)
    effect_cols: dict[str, int] = field(default_factory=dict)
    free: bool = False
    feedback: list[Span] = field(default_factory=list)


@dataclass
class ParsedNode:
    """One `## node` section: the voter's line (or an ending's debrief) and its replies."""

    key: str
    key_col: int
    line: int  # file line of the heading
    ending: str | None  # None, "any" or "good"
    text: list[Span] = field(default_factory=list)
    replies: list[ParsedReply] = field(default_factory=list)


def read_nodes(body: Body) -> tuple[list[Span], dict[str, ParsedNode], int]:
    """The introduction, the usable nodes by id in file order, and how many `##` headings there were."""
    starts = [i for i, text in enumerate(body.lines) if not body.fenced[i] and _NODE.match(text)]
    intro = body.spans(0, starts[0] if starts else len(body.lines))
    nodes: dict[str, ParsedNode] = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(body.lines)
        node = _heading(body, start)
        if node is None:
            continue
        if node.key in nodes:
            message = f"duplicate node id '{node.key}' (first on line {nodes[node.key].line})"
            body.report(node.line, node.key_col, "E504", message)
            continue
        nodes[node.key] = node
        if node.ending:
            _ending(body, node, start + 1, end)
        else:
            _exchange(body, node, start + 1, end)
    return intro, nodes, len(starts)


def _heading(body: Body, index: int) -> ParsedNode | None:
    """Check `## id` / `## id [ending]` / `## id [ending good]`; None when the node is unusable."""
    line = body.first + index
    match = _NODE.match(body.lines[index])
    assert match is not None
    text, text_col = match.group(1), match.start(1) + 1
    parts = _NODE_TEXT.fullmatch(text)
    if parts is None:
        body.report(line, text_col, "E503", f"node heading must be {HEADING_FORMS} (got `## {text}`)")
        return None
    key, key_col = parts.group(1), text_col + parts.start(1)
    if not KEY_PATTERN.match(key):
        body.report(line, key_col, "E503", f"invalid node id {key!r}: {KEY_RULE}")
    ending = None
    if parts.group(2) is not None:
        mark = " ".join(parts.group(2).lower().split())
        ending = _ENDINGS.get(mark)
        if ending is None:
            message = f"unknown mark [{parts.group(2)}]: use {HEADING_FORMS}"
            body.report(line, text_col + parts.start(2), "E503", message)
            ending = "good" if "good" in mark else "any"  # still an ending: the brackets say so
    return ParsedNode(key, key_col, line, ending)


def _ending(body: Body, node: ParsedNode, start: int, end: int) -> None:
    """An ending's whole section is its debrief; a `- ... → node` line there is a mistake."""
    node.text = body.spans(start, end)
    if not node.text:
        message = f"ending '{node.key}' has no debrief: write what went well and what a strong reply was"
        body.report(node.line, node.key_col, "E513", message)
    for index in range(start, end):
        bullet = _BULLET.match(body.lines[index])
        if bullet and not body.fenced[index] and _ARROW.search(bullet.group(1)):
            message = f"ending '{node.key}' has replies: an ending closes the conversation"
            body.report(body.first + index, 1, "E512", message)
            return


def _exchange(body: Body, node: ParsedNode, start: int, end: int) -> None:
    """The voter's line up to the first `- ` line, then replies with their `>` feedback."""
    first = next((i for i in range(start, end) if not body.fenced[i] and _BULLET.match(body.lines[i])), end)
    node.text = body.spans(start, first)
    if not node.text:
        message = f"node '{node.key}' has no text: write what the voter says under the heading"
        body.report(node.line, node.key_col, "W501", message, warning=True)
    for index in range(first, end):
        text, line = body.lines[index], body.first + index
        if not text.strip():
            continue
        bullet = _BULLET.match(text) if not body.fenced[index] else None
        feedback = _FEEDBACK.match(text) if not body.fenced[index] else None
        if bullet:
            node.replies.append(_reply(body, line, bullet.group(1), bullet.start(1) + 1, len(node.replies)))
        elif feedback:
            node.replies[-1].feedback.append(Span(line, feedback.start(1) + 1, feedback.group(1)))
        else:
            message = "text among the replies: the node's text goes above them, feedback on `>` lines"
            body.report(line, len(text) - len(text.lstrip()) + 1, "E510", message)


def _reply(body: Body, line: int, text: str, col: int, index: int) -> ParsedReply:
    """Parse `(free)? text → target {effects}` (col: the file column of `text`)."""
    free = _FREE.match(text)
    if free:
        text, col = text[free.end() :], col + free.end()
    arrows = list(_ARROW.finditer(text))
    if not arrows:
        reply = ParsedReply(index, line, col, Span(line, col, text.rstrip()), free=bool(free))
        if free:
            message = "a `(free)` reply needs the node the conversation goes on to: `- (free) text → node-id`"
            body.report(line, col, "E506", message)
        else:
            message = "reply needs a target: `- text → node-id` (or `->`)"
            if index == 0:
                message += "; a node's text cannot hold a bullet list: its first `- ` line starts the replies"
            body.report(line, col, "E505", message)
        return reply
    arrow = arrows[-1]
    words = text[: arrow.start()].rstrip()
    reply = ParsedReply(index, line, col, Span(line, col, words), free=bool(free))
    if not words:
        body.report(line, col, "E505", "reply has no text before the arrow")
    elif loose := _EFFECTS_IN_TEXT.search(words):
        message = "effects go after the target: `- text → node-id {competency: +1}`"
        body.report(line, col + loose.start(), "E508", message)
    rest_col = col + arrow.end()
    target = _TARGET.match(text, arrow.end())
    assert target is not None
    if target.group(1):
        reply.target, reply.target_col = target.group(1), col + target.start(1)
    else:
        code = "E506" if free else "E505"
        body.report(line, rest_col, code, "a node id must follow the arrow: `→ node-id`")
    tail = text[target.end() :].rstrip()
    tail_col = col + target.end()
    if tail.startswith("{") and tail.endswith("}"):
        _effects(body, reply, tail[1:-1], tail_col + 1)
    elif tail.startswith("{"):
        body.report(line, tail_col, "E508", "effects need a closing `}`: `{competency: +1, other: -1}`")
    elif tail:
        body.report(line, tail_col, "E505", "only `{effects}` may follow the target node id")
    return reply


def _effects(body: Body, reply: ParsedReply, inner: str, col: int) -> None:
    """`competency: +1, other: -2`; whole numbers, `−` read as a minus."""
    offset = 0
    for piece in inner.split(","):
        piece_col = col + offset + len(piece) - len(piece.lstrip())
        offset += len(piece) + 1
        if not piece.strip():
            continue
        match = _EFFECT.fullmatch(piece)
        if match is None:
            message = "an effect must be `competency: +N` or `competency: -N` (a whole number)"
            body.report(reply.line, piece_col, "E508", message)
            continue
        name, sign, digits = match.groups()
        if name in reply.effects:
            body.report(reply.line, piece_col, "E508", f"effect on '{name}' given twice in one reply")
            continue
        reply.effects[name] = -int(digits) if sign in ("-", "−") else int(digits)
        reply.effect_cols[name] = piece_col

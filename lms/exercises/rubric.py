"""Field assignments: the `assignment` body hook (task text, then a rubric) and pure grading.

The task text ends at `## Критерии оценивания` (or `## Rubric`); after it every criterion is
`### id: title` with its levels `- points: descriptor`, lowest first. `score` and `passed`
grade a submission against a payload's rubric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lms.content.body import Body, Span
from lms.content.frontmatter import SourceFile
from lms.content.render import Rendered, Renderer
from lms.exercises.fields import KEY_PATTERN, KEY_RULE
from lms.exercises.text import Pieces, digest

_RUBRIC = re.compile(r"^##(?!#)[ \t]*(?:критерии оценивания|rubric)[ \t]*:?[ \t#]*$", re.IGNORECASE)
_CRITERION = re.compile(r"^###(?!#)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")
_CRITERION_TEXT = re.compile(r"([^\s:]+)[ \t]*:[ \t]*(.*)")
_LEVEL = re.compile(r"^[-*+][ \t]+(.*)$")
_LEVEL_TEXT = re.compile(r"(\d+)[ \t]*:[ \t]*(.*)")
RUBRIC_HEADING = "`## Критерии оценивания` (or `## Rubric`)"


@dataclass
class _Level:
    points: int
    text: Span


@dataclass
class _Criterion:
    key: str
    key_col: int
    title: str
    line: int
    levels: list[_Level] = field(default_factory=list)


class _Rubric:
    """Reads the rubric section line by line, reporting at exact positions."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.criteria: list[_Criterion] = []
        self.current: _Criterion | None = None
        self.skipping = False  # under a heading already reported: its levels are not checked again
        self.seen: dict[str, int] = {}
        self.headings = 0

    def read(self, start: int) -> None:
        body = self.body
        for index in range(start, len(body.lines)):
            text, line = body.lines[index], body.first + index
            if not text.strip():
                continue
            heading = _CRITERION.match(text) if not body.fenced[index] else None
            level = _LEVEL.match(text) if not body.fenced[index] else None
            if heading:
                self.criterion(line, heading.group(1), heading.start(1) + 1)
            elif level and (self.current or self.skipping):
                self.level(line, level.group(1), level.start(1) + 1)
            else:
                message = "text in the rubric: it holds only `### id: title` and `- points: descriptor` lines"
                body.report(line, len(text) - len(text.lstrip()) + 1, "E609", message)

    def criterion(self, line: int, text: str, col: int) -> None:
        self.current, self.skipping = None, True
        self.headings += 1
        parts = _CRITERION_TEXT.fullmatch(text)
        if parts is None or not parts.group(2).strip():
            message = f"criterion heading must be `### id: title` (got `### {text}`)"
            self.body.report(line, col, "E604", message)
            return
        key, key_col = parts.group(1), col + parts.start(1)
        if not KEY_PATTERN.match(key):
            self.body.report(line, key_col, "E604", f"invalid criterion id {key!r}: {KEY_RULE}")
            return
        if key in self.seen:
            message = f"duplicate criterion id '{key}' (first on line {self.seen[key]})"
            self.body.report(line, key_col, "E605", message)
            return
        self.seen[key] = line
        self.current, self.skipping = _Criterion(key, key_col, parts.group(2).strip(), line), False
        self.criteria.append(self.current)

    def level(self, line: int, text: str, col: int) -> None:
        parts = _LEVEL_TEXT.fullmatch(text.rstrip())
        if parts is None or not parts.group(2).strip():
            message = "a level must be `- points: descriptor` with whole points of 0 or more"
            self.body.report(line, col, "E606", message)
            return
        if self.current is None:
            return
        points = int(parts.group(1))
        levels = self.current.levels
        if levels and points <= levels[-1].points:
            message = (
                f"levels go from the lowest points to the highest, each different ({points} after"
                f" {levels[-1].points})"
            )
            self.body.report(line, col, "E607", message)
            return
        levels.append(_Level(points, Span(line, col + parts.start(2), parts.group(2).strip())))


def max_points(rubric: list[dict[str, Any]]) -> int:
    """The sum of every criterion's top level."""
    return sum(max((level["points"] for level in criterion["levels"]), default=0) for criterion in rubric)


def parse_assignment(source: SourceFile, values: dict[str, Any], render: Renderer) -> Rendered:
    """Check and render an assignment body; the Rendered holds the task text and the payload."""
    body = Body(source)
    errors = sum(problem.is_error for problem in source.problems)
    at = next((i for i, text in enumerate(body.lines) if not body.fenced[i] and _RUBRIC.match(text)), None)
    task = body.spans(0, len(body.lines) if at is None else at)
    if not task:
        body.report_top("E601", f"assignment has no task text: write it above {RUBRIC_HEADING}")
    rubric = _Rubric(body)
    if at is None:
        body.report_top("E602", f"assignment has no rubric: add {RUBRIC_HEADING} and its criteria")
    else:
        rubric.read(at + 1)
        if not rubric.headings:
            message = "the rubric has no criteria: add `### id: title` headings under it"
            body.report(body.first + at, 1, "E603", message)
    for criterion in rubric.criteria:
        if len(criterion.levels) < 2:
            message = f"criterion '{criterion.key}' needs at least two levels (`- 0: ...`, `- 2: ...`)"
            body.report(criterion.line, criterion.key_col, "E608", message)
    pieces = Pieces(source, render, task)
    criteria = [_criterion_payload(criterion, pieces) for criterion in rubric.criteria]
    total = max_points(criteria)
    sound = sum(problem.is_error for problem in source.problems) == errors
    _check_pass_points(source, values, total if sound and criteria else None)
    payload: dict[str, Any] = {
        "pass_points": values.get("pass_points", 0),
        "max_points": total,
        "attachments": values.get("attachments"),
        "words": values.get("words"),
        "rubric": criteria,
    }
    written = [
        {"key": item.key, "title": item.title, "levels": [[lv.points, lv.text.text] for lv in item.levels]}
        for item in rubric.criteria
    ]
    policy = {key: payload[key] for key in ("pass_points", "attachments")}
    if payload["words"] is not None:  # assignments without limits keep the hash they had
        policy["words"] = payload["words"]
    if values.get("team"):  # individual assignments keep their payload and hash as they were
        payload["team"] = values["team"]
        payload["draft_template"] = values.get("draft_template") or None
        policy["team"] = payload["team"]
    elif "draft_template" in values:
        pair = source.nodes.get("draft_template")
        if pair is not None:
            message = "draft_template is used only by team assignments (add `team: region`)"
            source.add_at(pair[1], "W602", message, warning=True)
    payload["hash"] = digest({**policy, "rubric": written})
    return pieces.rendered(payload)


def _criterion_payload(criterion: _Criterion, pieces: Pieces) -> dict[str, Any]:
    levels = [
        {
            "points": level.points,
            "html": pieces.html([level.text], piece=f"{criterion.key}-{level.points}", inline=True),
        }
        for level in criterion.levels
    ]
    return {"key": criterion.key, "title": criterion.title, "line": criterion.line, "levels": levels}


def _check_pass_points(source: SourceFile, values: dict[str, Any], total: int | None) -> None:
    """pass_points against the rubric's maximum (None: the rubric is broken, skip)."""
    pair = source.nodes.get("pass_points")
    if pair is None or "pass_points" not in values:
        return
    pass_points = values["pass_points"]
    if total is not None and pass_points > total:
        message = f"pass_points: {pass_points} is more than the {total} points of the rubric"
        source.add_at(pair[1], "E610", message)
    if pass_points == 0:
        source.add_at(pair[1], "W601", "pass_points: 0: every graded submission is accepted", warning=True)


def score(rubric: list[dict[str, Any]], chosen: dict[str, int]) -> tuple[int, int]:
    """(total, max) of a grading that picks one level of every criterion; ValueError otherwise."""
    keys = {criterion["key"] for criterion in rubric}
    extra = sorted(set(chosen) - keys)
    if extra:
        raise ValueError(f"no criterion {extra[0]!r} in this rubric")
    total = 0
    for criterion in rubric:
        if criterion["key"] not in chosen:
            raise ValueError(f"criterion {criterion['key']!r} has no level chosen")
        points = chosen[criterion["key"]]
        allowed = [level["points"] for level in criterion["levels"]]
        if isinstance(points, bool) or not isinstance(points, int) or points not in allowed:
            raise ValueError(f"criterion {criterion['key']!r} has no level of {points!r} points")
        total += points
    return total, max_points(rubric)


def passed(payload: dict[str, Any], total: int) -> bool:
    """Whether a graded total reaches the assignment's pass_points."""
    return total >= payload["pass_points"]

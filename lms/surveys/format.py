"""The survey file body: an introduction, then `## id [type]` questions with their answer lines.

`parse_survey` is the body hook of the `survey` item kind. It reports every problem at its exact
place and renders every Markdown part through the lesson pipeline once, at import, so the payload
holds only sanitised HTML and plain data and the survey page renders nothing per request.

    ## obshchee [scale]
    Как вы оцениваете день в целом?
    - 1: Совсем не понравился
    - 5: Очень понравился

    ## format [single, optional]
    ...
    - lekcii: Больше лекций
    - praktika: Больше практики

    ## predlozheniya [text]
    Что нам стоит изменить?
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from lms.content.body import Body, Span, trimmed
from lms.content.frontmatter import SourceFile
from lms.content.pieces import PositionedMarkdown
from lms.content.render import Rendered, Renderer
from lms.content.schema import ID_PATTERN

QUESTION_TYPES = ("scale", "single", "multiple", "text")
FLAGS = ("required", "optional")
# A free-text answer is optional unless the author says otherwise; a scale or a choice is asked.
REQUIRED_BY_DEFAULT = {"scale": True, "single": True, "multiple": False, "text": False}
SCALE_MAX = 10
TEXT_MAX = 4000  # characters of one free-text answer

_QUESTION = re.compile(r"^##(?!#)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")
_HEADING_TEXT = re.compile(r"(\S+?)[ \t]*\[([^\[\]]*)\]")
_BULLET = re.compile(r"^[-*+][ \t]+(.*)$")
_OPTION = re.compile(r"([^:\s]+)[ \t]*:[ \t]*(.*)")


@dataclass
class _Question:
    """One question as read from the file, before rendering."""

    key: str
    kind: str
    required: bool
    line: int
    prompt: list[Span]
    options: list[tuple[str, Span]] = field(default_factory=list)  # (option id or scale point, text)


class _Parser(Body):
    """One survey body: its questions, each a heading, a prompt and answer lines."""

    def starts(self) -> list[int]:
        return [i for i, text in enumerate(self.lines) if not self.fenced[i] and _QUESTION.match(text)]

    def heading(self, index: int) -> tuple[str, int, str, bool] | None:
        """Check `## id [type]` / `## id [type, required|optional]`; None when unusable."""
        line = self.first + index
        match = _QUESTION.match(self.lines[index])
        assert match is not None
        text, text_col = match.group(1), match.start(1) + 1
        parts = _HEADING_TEXT.fullmatch(text)
        words = [word.strip() for word in parts.group(2).split(",")] if parts else []
        if parts is None or not words[0]:
            message = f"question heading must be `## id [type]` or `## id [type, optional]` (got `## {text}`)"
            self.report(line, text_col, "E702", message)
            return None
        key, key_col = parts.group(1), text_col + parts.start(1)
        if not ID_PATTERN.match(key):
            message = f"invalid question id {key!r}: use lowercase latin letters, digits and '-'"
            self.report(line, key_col, "E704", message)
        type_col = text_col + parts.start(2) + len(parts.group(2)) - len(parts.group(2).lstrip())
        kind = words[0]
        if kind not in QUESTION_TYPES:
            close = difflib.get_close_matches(kind, QUESTION_TYPES, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(QUESTION_TYPES)})"
            self.report(line, type_col, "E703", f"unknown question type '{kind}'{hint}")
            return None
        required = REQUIRED_BY_DEFAULT[kind]
        for word in words[1:]:
            if word not in FLAGS:
                message = f"unknown question option '{word}' (known: {', '.join(FLAGS)})"
                self.report(line, text_col + parts.start(2) + parts.group(2).find(word), "E712", message)
            else:
                required = word == "required"
        return key, key_col, kind, required

    def question(self, start: int, end: int) -> _Question | None:
        """Read lines [start, end) of the body: a heading, the prompt and the answer lines."""
        line = self.first + start
        heading = self.heading(start)
        if heading is None:
            return None
        key, _key_col, kind, required = heading
        body = range(start + 1, end)
        answers_at = end
        if kind != "text":  # a free-text prompt may hold any Markdown, lists included
            answers_at = next((i for i in body if not self.fenced[i] and _BULLET.match(self.lines[i])), end)
        prompt = trimmed([self.span(i) for i in body if i < answers_at])
        if not prompt:
            self.report(line, 1, "E706", f"question '{key}' has no prompt: write it under the heading")
        question = _Question(key, kind, required, line, prompt)
        self.answer_lines(question, range(answers_at, end))
        self.check_answers(question)
        return question

    def answer_lines(self, question: _Question, indexes: range) -> None:
        """`- id: text` options or `- N: label` scale points; nothing else among them."""
        seen: dict[str, int] = {}
        for index in indexes:
            text, line = self.lines[index], self.first + index
            if self.fenced[index] or not text.strip():
                continue
            bullet = _BULLET.match(text)
            if bullet is None:
                message = "text among the answer lines: the prompt goes above them"
                self.report(line, len(text) - len(text.lstrip()) + 1, "E711", message)
                continue
            col = bullet.start(1) + 1
            option = _OPTION.fullmatch(bullet.group(1).rstrip())
            label = Span(line, col + option.start(2), option.group(2)) if option else None
            if question.kind == "scale":
                if option is None or not option.group(1).isdigit() or not option.group(2).strip():
                    message = "a scale point is `- N: label`, e.g. `- 1: Совсем не согласен`"
                    self.report(line, col, "E707", message)
                    continue
                point = int(option.group(1))
                if not 1 <= point <= SCALE_MAX:
                    message = f"scale points run from 1 to at most {SCALE_MAX} (got {point})"
                    self.report(line, col, "E710", message)
                    continue
                name = str(point)
            else:
                if option is None or not ID_PATTERN.match(option.group(1)) or not option.group(2).strip():
                    message = "an option is `- id: text`, the id of lowercase latin letters, digits and '-'"
                    self.report(line, col, "E707", message)
                    continue
                name = option.group(1)
            if name in seen:
                message = f"'{name}' appears twice in question '{question.key}' (first on line {seen[name]})"
                self.report(line, col, "E708", message)
                continue
            seen[name] = line
            assert label is not None
            question.options.append((name, label))

    def check_answers(self, question: _Question) -> None:
        """What each type needs: two options for a choice, labelled ends for a scale."""
        line = question.line
        if question.kind in ("single", "multiple") and len(question.options) < 2:
            self.report(line, 1, "E709", f"question '{question.key}' needs at least two `- id: text` options")
        elif question.kind == "scale":
            points = [int(name) for name, _span in question.options]
            top = max(points, default=0)
            if top < 2 or 1 not in points:
                message = (
                    f"scale question '{question.key}' needs labels at both ends:"
                    " `- 1: ...` and `- N: ...` (N from 2 to 10, usually 5)"
                )
                self.report(line, 1, "E710", message)


def parse_survey(source: SourceFile, values: dict[str, Any], render: Renderer) -> Rendered:
    """Check and render a survey body; the Rendered holds the introduction and the payload."""
    parser = _Parser(source)
    starts = parser.starts()
    intro = render("\n".join(parser.lines[: starts[0] if starts else len(parser.lines)]))
    questions: list[_Question] = []
    seen: dict[str, int] = {}
    for n, start in enumerate(starts):
        question = parser.question(start, starts[n + 1] if n + 1 < len(starts) else len(parser.lines))
        if question is None:
            continue
        if question.key in seen:
            message = f"duplicate question id '{question.key}' (first on line {seen[question.key]})"
            parser.report(question.line, 1, "E705", message)
            continue
        seen[question.key] = question.line
        questions.append(question)
    if not starts:
        parser.report_top("E701", "survey has no questions: add `## id [type]` headings")
    builder = _Builder(source, render, intro)
    payload = {
        "anonymous": bool(values.get("anonymous", False)),
        "questions": [builder.question(question) for question in questions],
    }
    return Rendered(
        html=intro.html,
        toc=intro.toc,
        links=builder.links,
        images=builder.images,
        files=builder.files,
        payload=payload,
    )


class _Builder(PositionedMarkdown):
    """Renders questions into payload dicts, collecting their links at file positions."""

    def __init__(self, source: SourceFile, render: Renderer, intro: Rendered) -> None:
        super().__init__(source, render, links=intro.links, images=intro.images, files=intro.files)

    def question(self, question: _Question) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "key": question.key,
            "type": question.kind,
            "required": question.required,
            "line": question.line,
            "prompt_html": self.html(question.prompt, piece=f"{question.key}-prompt"),
            "options": [],
        }
        if question.kind == "scale":
            labels = {
                name: self.html([span], piece=f"{question.key}-{name}", inline=True)
                for name, span in question.options
            }
            top = max((int(name) for name in labels), default=5)
            points = [str(point) for point in range(1, top + 1)]
            shown["options"] = [{"key": point, "html": labels.get(point, "")} for point in points]
        elif question.kind in ("single", "multiple"):
            shown["options"] = [
                {"key": name, "html": self.html([span], piece=f"{question.key}-{name}", inline=True)}
                for name, span in question.options
            ]
        return shown

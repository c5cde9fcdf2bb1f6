"""The quiz file body: an introduction, then `## id [type]` questions with answer lines.

`parse_quiz` is the body hook of the `quiz` item kind. It reports every problem at its
exact place and renders every Markdown part of a question through the lesson pipeline,
so the payload it returns holds only sanitised HTML and plain data.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lms.content.body import Body, trimmed
from lms.content.frontmatter import SourceFile
from lms.content.pieces import PositionedMarkdown
from lms.content.render import Rendered, Renderer
from lms.content.schema import ID_PATTERN
from lms.quizzes.fields import QUIZ_DEFAULTS
from lms.quizzes.lines import BULLET, CHOICE, ITEM, VALUE, AnswerLine, ParsedAnswer, Report, Span
from lms.quizzes.question_type import QuestionType
from lms.quizzes.text import parse_number
from lms.quizzes.types import QUESTION_TYPES

_QUESTION = re.compile(r"^##(?!#)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")  # closing #s are optional
_HEADING_TEXT = re.compile(r"(\S+?)[ \t]*\[([^\[\]]*)\]")
_EXPLANATION = re.compile(r"^###[ \t]+(?:пояснение|explanation)[ \t]*:?[ \t#]*$", re.IGNORECASE)
_LINES = {
    CHOICE: re.compile(r"^[-*+][ \t]+(\[[^\]\n]?\])[ \t]*(.*)$"),
    VALUE: re.compile(r"^=(?!=)[ \t]*(.*)$"),
    ITEM: re.compile(r"^\d+[.)][ \t]+(.*)$"),
    BULLET: re.compile(r"^[-*+][ \t]+(.*)$"),
}
_POINTS = re.compile(r"\d+(?:[.,]\d+)?")
_FEEDBACK = re.compile(r"^[ \t]*>[ \t]?(.*)$")
_SHOWN_AS = {
    CHOICE: "`- [x]`/`- [ ]` options",
    VALUE: "`=` answers",
    ITEM: "`1.` items",
    BULLET: "`- ` pairs",
}
# Option parts shown inside a label: their single wrapping <p> goes.
_INLINE_PARTS = frozenset({"html", "left_html", "right_html"})


@dataclass
class _Question:
    """One question as read from the file, before rendering."""

    key: str
    key_col: int
    kind: QuestionType
    points: float
    line: int  # file line of the `##` heading
    prompt: list[Span]
    answer: ParsedAnswer
    explanation: list[Span] = field(default_factory=list)


def quiz_policy(values: dict[str, Any]) -> dict[str, Any]:
    """The policy of a quiz: its checked front matter values over the defaults."""
    return {key: values.get(key, default) for key, default in QUIZ_DEFAULTS.items()}


def _kind_of(text: str) -> str | None:
    for kind, pattern in _LINES.items():
        if pattern.match(text):
            return kind
    return None


def _users(line_kind: str) -> str:
    """The types that take a kind of answer line, as words: "truefalse, short or numeric"."""
    names = [name for name, kind in QUESTION_TYPES.items() if kind.line_kind == line_kind]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


class _Parser(Body):
    """One quiz body: its questions, each a heading, a prompt, answers and an explanation."""

    def starts(self) -> list[int]:
        return [i for i, text in enumerate(self.lines) if not self.fenced[i] and _QUESTION.match(text)]

    def question(self, start: int, end: int) -> _Question | None:
        """Read lines [start, end) of the body: a heading, prompt, answers and explanation."""
        line = self.first + start
        heading = self.heading(start)
        if heading is None:
            return None
        key, key_col, kind, points = heading
        body = list(range(start + 1, end))
        explained = next((i for i in body if not self.fenced[i] and _EXPLANATION.match(self.lines[i])), None)
        explanation: list[Span] = []
        if explained is not None:
            explanation = trimmed([self.span(i) for i in range(explained + 1, end)])
            body = list(range(start + 1, explained))
        answers_at = next((i for i in body if self.starts_answers(i, kind)), end)
        prompt = trimmed([self.span(i) for i in body if i < answers_at])
        if not prompt:
            self.report(line, 1, "E407", f"question '{key}' has no prompt: write it under the heading")
        lines = self.answer_lines([i for i in body if i >= answers_at], kind)
        answer = kind.parse(lines, line, self.report)
        return _Question(key, key_col, kind, points, line, prompt, answer, explanation)

    def heading(self, index: int) -> tuple[str, int, QuestionType, float] | None:
        """Check `## id [type]` / `## id [type, points]`; None when the question is unusable."""
        line = self.first + index
        match = _QUESTION.match(self.lines[index])
        assert match is not None
        text, text_col = match.group(1), match.start(1) + 1
        parts = _HEADING_TEXT.fullmatch(text)
        fields = parts.group(2).split(",", 1) if parts else []
        if parts is None or not fields[0].strip():
            message = f"question heading must be `## id [type]` or `## id [type, points]` (got `## {text}`)"
            self.report(line, text_col, "E402", message)
            return None
        key, key_col = parts.group(1), text_col + parts.start(1)
        if not ID_PATTERN.match(key):
            message = f"invalid question id {key!r}: use lowercase latin letters, digits and '-'"
            self.report(line, key_col, "E404", message)
        col = text_col + parts.start(2)
        name = fields[0].strip()
        kind = QUESTION_TYPES.get(name)
        if kind is None:
            close = difflib.get_close_matches(name, list(QUESTION_TYPES), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(QUESTION_TYPES)})"
            type_col = col + len(fields[0]) - len(fields[0].lstrip())
            self.report(line, type_col, "E403", f"unknown question type '{name}'{hint}")
        points = 1.0
        if len(fields) == 2:
            written = fields[1].strip()
            value = parse_number(written) if _POINTS.fullmatch(written) else None
            if value is None or value <= 0:
                points_col = col + len(fields[0]) + 1 + len(fields[1]) - len(fields[1].lstrip())
                self.report(line, points_col, "E406", f"points must be a number above 0 (got '{written}')")
            else:
                points = value
        return (key, key_col, kind, points) if kind is not None else None

    def starts_answers(self, index: int, kind: QuestionType) -> bool:
        """Choice and `=` lines start the answers of any type; items and pairs only their own."""
        if self.fenced[index]:
            return False
        found = _kind_of(self.lines[index])
        return found in (CHOICE, VALUE) or (found is not None and found == kind.line_kind)

    def answer_lines(self, indexes: list[int], kind: QuestionType) -> list[AnswerLine]:
        """Classify the answer section: answer lines of the type, `>` feedback and misplaced lines."""
        found: list[AnswerLine] = []
        for index in indexes:
            text = self.lines[index]
            line = self.first + index
            if self.fenced[index] or not text.strip():
                continue
            feedback = _FEEDBACK.match(text)
            if feedback:
                if found and found[-1].kind == CHOICE:
                    found[-1].feedback.append(Span(line, feedback.start(1) + 1, feedback.group(1)))
                else:
                    self.report(line, 1, "E410", "feedback (`>` lines) goes right under a `- [ ]` option")
                continue
            line_kind = _kind_of(text) if not text[0].isspace() else None
            if line_kind is None:
                message = (
                    "text among the answer lines: the prompt goes above the answers,"
                    " the explanation under `### Пояснение`"
                )
                self.report(line, len(text) - len(text.lstrip()) + 1, "E411", message)
            elif line_kind == BULLET and kind.line_kind == CHOICE:
                self.report(line, 1, "E408", "an option needs a box: `- [x] id: text` or `- [ ] id: text`")
            elif line_kind != kind.line_kind:
                message = f"{_SHOWN_AS[line_kind]} belong to {_users(line_kind)} questions, not {kind.name}"
                self.report(line, 1, "E410", message)
            else:
                match = _LINES[line_kind].match(text)
                assert match is not None
                box = Span(line, match.start(1) + 1, match.group(1)) if line_kind == CHOICE else None
                rest = match.lastindex or 1
                text_span = Span(line, match.start(rest) + 1, match.group(rest).rstrip())
                found.append(AnswerLine(line_kind, text_span, box))
        return found


def parse_quiz(source: SourceFile, values: dict[str, Any], render: Renderer) -> Rendered:
    """Check and render a quiz body; the Rendered holds the introduction and the payload."""
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
            parser.report(question.line, question.key_col, "E405", message)
            continue
        seen[question.key] = question.line
        questions.append(question)
    policy = quiz_policy(values)
    _check_policy(source, parser.report, policy, questions, len(starts))
    builder = _Builder(source, render, intro)
    payload = {"policy": policy, "questions": [builder.question(question) for question in questions]}
    return Rendered(
        html=intro.html,
        toc=intro.toc,
        links=builder.links,
        images=builder.images,
        files=builder.files,
        payload=payload,
    )


def _check_policy(
    source: SourceFile, report: Report, policy: dict[str, Any], questions: list[_Question], pool: int
) -> None:
    """Checks that tie the front matter to the questions."""
    if not pool:
        message = "quiz has no questions: add `## id [type]` headings"
        source.add("E401", message, max(source.body_line - 1, 1), 1)
    draw = policy["draw"]
    if draw is not None and pool and draw > pool:
        _add_at_key(source, "draw", "E420", f"draw: {draw} is more than the {pool} questions")
    if policy["pass_mark"] == 0:
        _add_at_key(source, "pass_mark", "W401", "pass_mark 0: every attempt passes", warning=True)
    if policy["feedback"] != "required":
        return
    for question in questions:
        if question.kind.line_kind == CHOICE:
            for option in question.answer.options:
                if not option.parts["feedback_html"]:
                    message = f"feedback: required, and option '{option.key}' has no `>` feedback line"
                    report(option.line, 1, "E421", message)
        if not question.explanation:
            message = f"feedback: required, and question '{question.key}' has no `### Пояснение`"
            report(question.line, 1, "E422", message)


def _add_at_key(source: SourceFile, key: str, code: str, message: str, *, warning: bool = False) -> None:
    """Report at a front matter value, or at the top when the source kept no positions."""
    pair = source.nodes.get(key)
    if pair is not None:
        source.add_at(pair[1], code, message, warning=warning)
    else:
        source.add(code, message, warning=warning)


def _raw(spans: list[Span]) -> str:
    return "\n".join(span.text for span in spans).strip()


class _Builder(PositionedMarkdown):
    """Renders questions into payload dicts, collecting their links at file positions."""

    def __init__(self, source: SourceFile, render: Renderer, intro: Rendered) -> None:
        super().__init__(source, render, links=intro.links, images=intro.images, files=intro.files)

    def question(self, question: _Question) -> dict[str, Any]:
        options = []
        sources = []
        for option in question.answer.options:
            parts = option.parts.items()
            piece = f"{question.key}-{option.key}"
            html = {
                name: self.html(spans, piece=f"{piece}-{name}", inline=name in _INLINE_PARTS)
                for name, spans in parts
            }
            options.append({"key": option.key, **html, **option.flags})
            raw = {name: _raw(spans) for name, spans in parts}
            sources.append({"key": option.key, **raw, **option.flags})
        canonical = {
            "type": question.kind.name,
            "points": question.points,
            "prompt": _raw(question.prompt),
            "options": sources,
            "answer": question.answer.answer,
            "explanation": _raw(question.explanation),
        }
        digest = hashlib.sha256(
            json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        return {
            "key": question.key,
            "type": question.kind.name,
            "points": question.points,
            "line": question.line,
            "hash": digest,
            "prompt_html": self.html(question.prompt, piece=f"{question.key}-prompt"),
            "explanation_html": self.html(question.explanation, piece=f"{question.key}-explanation"),
            "options": options,
            "answer": question.answer.answer,
        }

"""The pieces of a quiz file the question types read: positioned text and answer lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lms.content.body import Span
from lms.content.schema import ID_PATTERN
from lms.quizzes.text import normalise_text

# Kinds of answer line, as the quiz format tells them apart.
CHOICE = "choice"  # - [x] id: text
VALUE = "value"  # = text
ITEM = "item"  # 1. id: text
BULLET = "bullet"  # - id: left => right

Report = Callable[..., None]  # (line, col, code, message, *, warning=False): file positions


@dataclass
class AnswerLine:
    """One answer line of a question: its kind, the text after its marker and any feedback."""

    kind: str
    text: Span
    box: Span | None = None  # the `[x]` of a choice line
    feedback: list[Span] = field(default_factory=list)


@dataclass
class ParsedOption:
    """An option, item or pair: its Markdown parts by payload field and plain flags."""

    key: str
    line: int
    parts: dict[str, list[Span]]
    flags: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedAnswer:
    """What a type read from its answer lines: options in written order and the answer key."""

    options: list[ParsedOption] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)


def split_key(span: Span, report: Report, what: str, example: str) -> tuple[str | None, Span]:
    """Split `id: text`; report a missing or invalid id and return None for it."""
    head, colon, _rest = span.text.partition(":")
    if colon and ID_PATTERN.match(head):
        return head, span.after(len(head) + 1)
    if colon and head and " " not in head:
        message = f"invalid {what} id '{head}': use lowercase latin letters, digits and '-'"
    else:
        message = f"{what} needs an id and a colon: `{example}`"
    report(span.line, span.col, "E408", message)
    return None, span


def keyed_lines(
    lines: list[AnswerLine], report: Report, what: str, example: str
) -> list[tuple[str, AnswerLine, Span]]:
    """Lines with a valid id not seen before in this question, with the text after the id."""
    seen: dict[str, int] = {}
    keyed = []
    for line in lines:
        key, rest = split_key(line.text, report, what, example)
        if key is None:
            continue
        if key in seen:
            message = f"duplicate id '{key}' (first on line {seen[key]})"
            report(line.text.line, line.text.col, "E409", message)
            continue
        seen[key] = line.text.line
        if not rest.text:
            report(rest.line, rest.col, "E408", f"{what} '{key}' has no text after its id")
            continue
        keyed.append((key, line, rest))
    return keyed


def warn_duplicates(spans: list[Span], report: Report, what: str) -> None:
    """Warn about texts that read the same once normalised, at the second one."""
    first: dict[str, int] = {}
    for span in spans:
        normal = normalise_text(span.text)
        if normal and normal in first:
            report(span.line, span.col, "W402", f"{what} repeats line {first[normal]}", warning=True)
        first.setdefault(normal, span.line)

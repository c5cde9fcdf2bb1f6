"""The body of an item file as positioned lines: what every kind's body parser starts from.

Quizzes, scenarios and assignments each read their own structure from the body; the lines, the
fenced-code map, file positions and where problems go are the same for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lms.content.frontmatter import SourceFile
from lms.content.scan import fenced_lines


@dataclass(frozen=True)
class Span:
    """Text from one line of a file, with the 1-based file line and column where it starts."""

    line: int
    col: int
    text: str

    def after(self, offset: int) -> Span:
        """The rest of this text from `offset`, without leading blanks, at its own column."""
        rest = self.text[offset:]
        stripped = rest.lstrip()
        return Span(self.line, self.col + offset + len(rest) - len(stripped), stripped.rstrip())

    def until(self, offset: int) -> Span:
        """This text up to `offset`, without trailing blanks."""
        return Span(self.line, self.col, self.text[:offset].rstrip())


def trimmed(spans: list[Span]) -> list[Span]:
    """Drop blank lines at both ends."""
    start, end = 0, len(spans)
    while start < end and not spans[start].text.strip():
        start += 1
    while end > start and not spans[end - 1].text.strip():
        end -= 1
    return spans[start:end]


class Body:
    """One item file's body: its lines, which of them are fenced code, and where problems go."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.lines = source.body.split("\n")
        self.fenced = fenced_lines(self.lines)
        self.first = source.body_line  # file line of body line 0

    def report(self, line: int, col: int, code: str, message: str, *, warning: bool = False) -> None:
        """A problem at a file position."""
        self.source.add(code, message, line, col, warning=warning)

    def report_top(self, code: str, message: str) -> None:
        """A problem about something missing from the body: at the closing `---`."""
        self.source.add(code, message, max(self.source.body_line - 1, 1), 1)

    def span(self, index: int) -> Span:
        """A whole body line as Markdown text at its file position."""
        return Span(self.first + index, 1, self.lines[index])

    def spans(self, start: int, end: int) -> list[Span]:
        """Body lines [start, end) without blank lines at either end."""
        return trimmed([self.span(index) for index in range(start, end)])

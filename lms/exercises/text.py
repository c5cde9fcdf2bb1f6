"""Positioned Markdown pieces of an exercise file and how they become payload HTML."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lms.content.frontmatter import SourceFile
from lms.content.render import LinkRef, Rendered
from lms.content.scan import fenced_lines

_WRAPPING_P = re.compile(r"<p>((?:(?!</?p>).)*)</p>", re.DOTALL)


@dataclass(frozen=True)
class Span:
    """Text from one line of a file, with the 1-based file line and column where it starts."""

    line: int
    col: int
    text: str


def trimmed(spans: list[Span]) -> list[Span]:
    """Drop blank lines at both ends."""
    start, end = 0, len(spans)
    while start < end and not spans[start].text.strip():
        start += 1
    while end > start and not spans[end - 1].text.strip():
        end -= 1
    return spans[start:end]


def raw(spans: list[Span]) -> str:
    """The Markdown of some spans as one text, for hashing."""
    return "\n".join(span.text for span in spans).strip()


def digest(canonical: Any) -> str:
    """sha256 of a JSON-able value written in one canonical way."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Body:
    """The body of one exercise file: its lines, which are fenced code, where problems go."""

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
        return trimmed([self.span(index) for index in range(start, end)])


class Pieces:
    """Renders Markdown pieces through the item's pipeline, collecting links at file positions."""

    def __init__(self, source: SourceFile, render: Callable[[str], Rendered], intro: list[Span]) -> None:
        self.source = source
        self.render_markdown = render
        self.links: list[LinkRef] = []
        self.images: list[LinkRef] = []
        self.files: list[LinkRef] = []
        rendered = self._render(intro)
        self.intro_html = rendered.html if rendered else ""
        self.toc = rendered.toc if rendered else []

    def _render(self, spans: list[Span]) -> Rendered | None:
        if not any(span.text.strip() for span in spans):
            return None
        rendered = self.render_markdown("\n".join(span.text for span in spans))
        for found, refs in (
            (self.links, rendered.links), (self.images, rendered.images), (self.files, rendered.files)
        ):
            for ref in refs:
                span = spans[min(max(ref.line, 1), len(spans)) - 1]
                # Links are checked at body positions, like a lesson's.
                line = span.line - self.source.body_line + 1
                found.append(LinkRef(ref.target, line, span.col + ref.col - 1, alt=ref.alt))
        return rendered

    def html(self, spans: list[Span], *, inline: bool = False) -> str:
        """Sanitised HTML of some spans; `inline` drops a single wrapping <p> (replies, levels)."""
        rendered = self._render(spans)
        if rendered is None:
            return ""
        if not inline:
            return rendered.html
        wrapped = _WRAPPING_P.fullmatch(rendered.html)
        return (wrapped.group(1) if wrapped else rendered.html).strip()

    def rendered(self, payload: dict[str, Any]) -> Rendered:
        """The item's Rendered: the intro (or task) HTML, every link found and the payload."""
        return Rendered(
            html=self.intro_html, toc=self.toc, links=self.links, images=self.images, files=self.files,
            payload=payload,
        )

"""Positioned Markdown pieces of an exercise file and how they become payload HTML (the body's lines
and positions are content's `Body` and `Span`, shared with quizzes)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from lms.content.body import Span
from lms.content.frontmatter import SourceFile
from lms.content.render import LinkRef, Rendered

_WRAPPING_P = re.compile(r"<p>((?:(?!</?p>).)*)</p>", re.DOTALL)


def raw(spans: list[Span]) -> str:
    """The Markdown of some spans as one text, for hashing."""
    return "\n".join(span.text for span in spans).strip()


def digest(canonical: Any) -> str:
    """sha256 of a JSON-able value written in one canonical way."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


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
            (self.links, rendered.links),
            (self.images, rendered.images),
            (self.files, rendered.files),
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
            html=self.intro_html,
            toc=self.toc,
            links=self.links,
            images=self.images,
            files=self.files,
            payload=payload,
        )

"""Positioned Markdown pieces of an exercise file and how they become payload HTML (the body's lines
and positions are content's `Body` and `Span`, shared with quizzes)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lms.content.body import Span
from lms.content.frontmatter import SourceFile
from lms.content.pieces import PositionedMarkdown
from lms.content.render import Rendered, Renderer


def raw(spans: list[Span]) -> str:
    """The Markdown of some spans as one text, for hashing."""
    return "\n".join(span.text for span in spans).strip()


def digest(canonical: Any) -> str:
    """sha256 of a JSON-able value written in one canonical way."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Pieces(PositionedMarkdown):
    """An exercise's pieces: its intro (or task) first, then nodes, replies and rubric levels."""

    def __init__(self, source: SourceFile, render: Renderer, intro: list[Span]) -> None:
        super().__init__(source, render)
        rendered = self.render_spans(intro)
        self.intro_html = rendered.html if rendered else ""
        self.toc = rendered.toc if rendered else []

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

"""Markdown pieces of an item file rendered through the item's pipeline, with every link, image
and file reference kept at its place in the file: quizzes, surveys and exercises render their
questions, options, nodes and rubric levels this way, so a broken link is reported at its line."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lms.content.body import Span
from lms.content.frontmatter import SourceFile
from lms.content.render import CONTENT_ID_PREFIX, LinkRef, Rendered, Renderer, piece_id_prefix

_WRAPPING_P = re.compile(r"<p>((?:(?!</?p>).)*)</p>", re.DOTALL)


class PositionedMarkdown:
    """Renders spans of a file, collecting their references in `links`, `images` and `files`."""

    def __init__(
        self,
        source: SourceFile,
        render: Renderer,
        *,
        links: Iterable[LinkRef] = (),
        images: Iterable[LinkRef] = (),
        files: Iterable[LinkRef] = (),
    ) -> None:
        self.source = source
        self.render_markdown = render
        self.links: list[LinkRef] = list(links)
        self.images: list[LinkRef] = list(images)
        self.files: list[LinkRef] = list(files)

    def render_spans(self, spans: list[Span], *, id_prefix: str = CONTENT_ID_PREFIX) -> Rendered | None:
        """The spans' Rendered (None when they hold no text); their references are collected."""
        if not any(span.text.strip() for span in spans):
            return None
        rendered = self.render_markdown("\n".join(span.text for span in spans), id_prefix=id_prefix)
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

    def html(self, spans: list[Span], *, piece: str, inline: bool = False) -> str:
        """Sanitised HTML of some spans; `inline` drops a single wrapping <p> (options, replies).

        `piece` names it within the file (`q1-prompt`) and starts its ids: a page shows many pieces
        (questions, nodes), each may have its footnote 1. Named, not numbered, because a question's
        stored version keeps its HTML while others are added around it."""
        rendered = self.render_spans(spans, id_prefix=piece_id_prefix(piece))
        if rendered is None:
            return ""
        if not inline:
            return rendered.html
        wrapped = _WRAPPING_P.fullmatch(rendered.html)
        return (wrapped.group(1) if wrapped else rendered.html).strip()

"""The `lesson` item kind: one Markdown text, shown on the lesson page."""

from __future__ import annotations

from typing import Any

from lms.content.frontmatter import SourceFile
from lms.content.lint import Doc
from lms.content.registry import ItemKind, nothing_after_import
from lms.content.render import Rendered, Renderer


def markdown_body(source: SourceFile, values: dict[str, Any], render: Renderer) -> Rendered:
    """A lesson's body is rendered as one Markdown text."""
    return render(source.body)


def warn_empty_body(doc: Doc) -> None:
    """A lesson without text is almost always a file saved too early."""
    source = doc.source
    if not source.body.strip():
        source.add("W101", "lesson body is empty", max(source.body_line - 1, 1), 1, warning=True)


LESSON = ItemKind(
    name="lesson",
    fields={},
    body=markdown_body,
    lint=warn_empty_body,
    page="content.lesson",
    page_key="lesson_key",
    after_import=nothing_after_import,
)

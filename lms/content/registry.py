"""The item-kind registry: what a module item of each `type:` brings to the content pipeline.

Content owns the pipeline (read, check, render, import) and this registry; each kind (lesson,
quiz, scenario, assignment) builds its `ItemKind` in its own package, and `lms/kinds.py` registers
them all in one place. Content imports no kind: the loader, the importer and `item_url` only walk
ITEM_KINDS. The shape is CTFd's `CHALLENGE_CLASSES`: a plain dict, no plugin machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lms.content.frontmatter import SourceFile
from lms.content.lint import Doc
from lms.content.render import Rendered, Renderer
from lms.content.schema import ITEM_FIELDS, Field

if TYPE_CHECKING:
    from lms.content.models import Lesson

BodyHook = Callable[[SourceFile, dict[str, Any], Renderer], Rendered]
"""Parse and render an item body: (source, checked front matter, Markdown renderer) -> Rendered.

Problems go onto the source (`add_in_body`, `add_at`); the renderer is `render_markdown` bound to
the item's folder and course URL policy. What the kind keeps besides HTML goes into `payload`.
"""

LintHook = Callable[[Doc], None]
"""Checks of a parsed item that run on every load, also when its body came from the render cache."""

AfterImport = Callable[[Sequence["Lesson"]], Any]
"""Runs once per import, after the rows were flushed, with this kind's added or updated rows."""

BestPercents = Callable[[int, Sequence[int]], Mapping[int, float]]
"""(candidate id, item ids) -> item id -> the candidate's best score in percent, for kinds that
score (a quiz); `requires: - quiz: id, min_score: N` is checked against it."""


@dataclass(frozen=True)
class ItemKind:
    """A kind of module item (`type:` in its front matter) and every hook the pipeline calls.

    fields: the front matter keys it accepts besides the common ones, checked like them.
    body: parses and renders the body (a lesson's is one Markdown text, a quiz's its questions).
    lint: checks of the parsed item that must run even when its rendering came from the cache.
    page, page_key: the endpoint of the page that shows an item, and the URL argument that takes
        the item's key (the endpoint also takes `course_key`).
    after_import: what the kind records once its rows exist (a quiz pins its question versions).
    best_percents: the candidate's best scores, for kinds that score (None for the others).
    """

    name: str
    fields: Mapping[str, Field]
    body: BodyHook
    lint: LintHook
    page: str
    page_key: str
    after_import: AfterImport
    best_percents: BestPercents | None = None

    def all_fields(self) -> dict[str, Field]:
        """Common item fields plus this kind's own."""
        return {**ITEM_FIELDS, **self.fields}


# name -> kind, filled by lms/kinds.py when the `lms` package is imported.
ITEM_KINDS: dict[str, ItemKind] = {}
FALLBACK_KIND = "lesson"  # links to an item whose kind is no longer registered go to a lesson page


def register(kind: ItemKind) -> None:
    """Add a kind; registering the same kind twice is harmless, two kinds of one name are a bug."""
    known = ITEM_KINDS.get(kind.name)
    if known is not None and known is not kind:
        raise ValueError(f"item kind {kind.name!r} is registered twice")
    ITEM_KINDS[kind.name] = kind


def page_of(kind_name: str) -> tuple[str, str]:
    """(endpoint, key argument) of the page that shows items of this kind."""
    kind = ITEM_KINDS.get(kind_name) or ITEM_KINDS[FALLBACK_KIND]
    return kind.page, kind.page_key


def no_checks(doc: Doc) -> None:
    """The lint hook of kinds whose body parser reports every problem itself."""


def nothing_after_import(rows: Sequence[Lesson]) -> None:
    """The after-import hook of kinds that keep nothing besides their rows."""

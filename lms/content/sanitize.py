"""The allowlist and the bleach cleaner that applies it: the whole security boundary for content HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bleach import sanitizer

# bleach vendors html5lib; its type stubs do not list the re-exported Filter and namespaces.
from bleach.html5lib_shim import (  # type: ignore[attr-defined]
    BleachHTMLParser,
    Filter,
    namespaces,
)

from lms.content.linear import IndexedTreeWalker

CALLOUT_KINDS = frozenset({"note", "tip", "warning", "danger", "example", "info", "important"})
ALLOWED_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "a",
        "img",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "code",
        "pre",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
        "br",
        "div",
        "span",
        "sup",
        "sub",
        "dl",
        "dt",
        "dd",
        "abbr",
        "del",
        "ins",
        "kbd",
        "s",
        "mark",
        "figure",
        "figcaption",
        "details",
        "summary",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_HEADING_ATTRS = frozenset({"id"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "id", "class", "rel", "target"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    **{f"h{level}": _HEADING_ATTRS for level in range(1, 7)},
    "th": frozenset({"align", "colspan", "rowspan"}),
    "td": frozenset({"align", "colspan", "rowspan"}),
    "div": frozenset({"class"}),
    "p": frozenset({"class"}),
    "abbr": frozenset({"title"}),
    "li": frozenset({"id"}),
    "sup": frozenset({"id"}),
    "ol": frozenset({"start"}),
}
ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    "a": frozenset({"footnote-ref", "footnote-backref"}),
    "div": CALLOUT_KINDS | {"admonition", "footnote", "toc"},
    "p": frozenset({"admonition-title"}),
}
_NUMERIC_ATTRS = frozenset({"width", "height", "colspan", "rowspan", "start"})
# Dropped together with everything inside them: stripping only the tags (bleach's
# strip=True) would turn script and style bodies into visible text.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "svg",
        "math",
        "xmp",
        "textarea",
        "title",
    }
)
_FOREIGN_NAMESPACES = frozenset({namespaces["svg"], namespaces["mathml"]})


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    """Bleach attribute callable: the allowlist plus value checks for class and numbers."""
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name == "class":
        classes = value.split()
        return bool(classes) and all(c in ALLOWED_CLASSES.get(tag, ()) for c in classes)
    if name in _NUMERIC_ATTRS:
        return value.strip().isascii() and value.strip().isdigit()
    if name == "align":
        return value in ("left", "center", "right")
    return True


def _is_dropped(token: dict[str, Any]) -> bool:
    return token.get("namespace") in _FOREIGN_NAMESPACES or token["name"].lower() in DROPPED_WITH_CONTENT


class _DropDangerousElements(Filter):
    """Remove script/style/svg/... elements with all their content before sanitising."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in Filter.__iter__(self):
            kind = token["type"]
            if depth:
                depth += {"StartTag": 1, "EndTag": -1}.get(kind, 0)
                continue
            if kind in ("StartTag", "EmptyTag", "EndTag") and _is_dropped(token):
                depth = 1 if kind == "StartTag" else 0
                continue
            yield token


class Cleaner(sanitizer.Cleaner):
    """Bleach cleaner whose parser still sees dropped elements, so their content goes too."""

    def __init__(self, filters: list[Callable[..., Filter]]) -> None:
        super().__init__(
            tags=ALLOWED_TAGS,
            attributes=_allow_attribute,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=filters,
        )
        # Bleach's tokenizer turns disallowed tags into empty text *before* tree building,
        # which would leave `<script>` bodies behind as text. Letting the parser build those
        # elements (as browsers do) means the walker below can drop them whole.
        self.parser = BleachHTMLParser(
            tags=ALLOWED_TAGS | DROPPED_WITH_CONTENT,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        base_walker = IndexedTreeWalker  # html5lib's own searches for each parent (lms.content.linear)
        # bleach's stubs type `walker` as a TreeWalker class; at run time any callable returning a
        # walker serves (bleach calls it with the tree).
        self.walker = lambda dom: _DropDangerousElements(base_walker(dom))  # type: ignore[assignment]

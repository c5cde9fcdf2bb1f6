"""Markdown → HTML → bleach: the one pipeline for lessons, module/course bodies and feedback.

Everything an author writes reaches a browser only through `render_markdown` or
`sanitize_html`, so the allowlist (lms.content.sanitize) is the whole security boundary for content.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

import markdown

# bleach vendors html5lib; its type stubs do not list the re-exported Filter.
from bleach.html5lib_shim import Filter, convert_entities  # type: ignore[attr-defined]
from markdown.extensions.toc import slugify_unicode

from lms.content.guard import defuse, html_too_deep, html_too_large, overindented_lines, restore_hidden
from lms.content.sanitize import Cleaner
from lms.content.scan import LineIndex, mask_fences, target_offsets

RENDERER_VERSION = "9"

# Tables as Python-Markdown's extension makes them, decided from their first two rows (linear.py).
TABLES = "lms.content.linear:TwoRowTableExtension"
MARKDOWN_EXTENSIONS = [
    TABLES,
    "markdown.extensions.fenced_code",
    "markdown.extensions.toc",
    "markdown.extensions.admonition",
    "markdown.extensions.sane_lists",
    "markdown.extensions.def_list",
    "lms.content.linear:PlacedAbbrExtension",
    "markdown.extensions.footnotes",
]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    TABLES: {"use_align_attribute": True},
    # Every heading gets an id; only h2/h3 make it into the returned toc. No `[TOC]` marker: the page
    # shows the contents itself, and each marker copied the whole table (600 headings and markers,
    # 7,800 characters, made 11 MB of HTML and took 46 s to clean).
    "markdown.extensions.toc": {"slugify": slugify_unicode, "toc_depth": "2-3", "marker": ""},
}

# Every id in content starts with this, and so does every #fragment pointing at one: a heading
# "Text" or an author's `<a id="...">` can then never take an id of the page around it (a form
# field's, which its label and scripts look up). The page's own ids never start with it.
CONTENT_ID_PREFIX = "content-"


def piece_id_prefix(piece: str | int) -> str:
    """The ids' prefix of one piece among several on a page (a question, a session, an answer)."""
    return f"{CONTENT_ID_PREFIX}{piece}-"


@dataclass
class LinkRef:
    """A link or image target as written, with its 1-based position in the Markdown text."""

    target: str
    line: int
    col: int
    alt: str | None = None  # images only; None when unknown (e.g. rebuilt from a stored cache)


@dataclass
class Rendered:
    """Sanitised HTML plus what the linter needs, cacheable by render key."""

    html: str
    toc: list[dict] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    images: list[LinkRef] = field(default_factory=list)
    # Relative links to non-Markdown files (PDFs...), checked like images.
    files: list[LinkRef] = field(default_factory=list)
    # What a kind with its own body keeps besides HTML (a quiz's policy and questions); plain JSON.
    payload: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, so callers can persist a render cache."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rendered:
        """Inverse of `to_dict`."""
        refs = {key: [LinkRef(**ref) for ref in data.get(key, [])] for key in ("links", "images", "files")}
        payload = dict(data.get("payload") or {})
        return cls(html=data["html"], toc=list(data.get("toc", [])), payload=payload, **refs)


class Renderer(Protocol):
    """`render_markdown` with the file's folder and URL policy bound: what item parsers call."""

    def __call__(self, text: str, *, id_prefix: str = CONTENT_ID_PREFIX) -> Rendered: ...


class UrlPolicy(Protocol):
    """Turns course-relative paths into URLs; lets the web app own its URL scheme."""

    def lesson_link(self, target_path_from_course_root: str, anchor: str) -> str: ...

    def asset(self, path_from_course_root: str) -> str: ...


@dataclass(frozen=True)
class CourseUrlPolicy:
    """Default URLs: `/courses/<id>/go/<path>#anchor` and `/courses/<id>/assets/<path>`."""

    course_id: str

    def lesson_link(self, target_path_from_course_root: str, anchor: str) -> str:
        url = f"/courses/{quote(self.course_id, safe='')}/go/{quote(target_path_from_course_root)}"
        return f"{url}#{quote(anchor, safe='')}" if anchor else url

    def asset(self, path_from_course_root: str) -> str:
        return f"/courses/{quote(self.course_id, safe='')}/assets/{quote(path_from_course_root)}"


@lru_cache(maxsize=4096)
def path_in_course(doc_dir: str, path: str) -> str | None:
    """Resolve a relative URL path against `doc_dir`; None when it leaves the course folder."""
    resolved = posixpath.normpath(posixpath.join(doc_dir, unquote(path)))
    if resolved in (".", "..") or resolved.startswith(("../", "/")):
        return None
    return resolved


def is_relative(url: str) -> bool:
    """True for a path-only URL such as `x.md` or `../img/a.png` (not `/x`, `#x`, `//host`)."""
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc) and bool(parts.path) and not url.startswith("/")


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") or (not parts.scheme and bool(parts.netloc))


_Attrs = dict[tuple[str | None, str], str]


class _UrlFilter(Filter):
    """After sanitising: rewrite relative URLs and mark external links."""

    def __init__(self, source: Any, *, doc_dir: str, policy: UrlPolicy | None, id_prefix: str) -> None:
        super().__init__(source)
        self.doc_dir = doc_dir
        self.policy = policy
        self.id_prefix = id_prefix
        self.own_ids: set[str] = set()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        tokens = list(Filter.__iter__(self))
        # A piece's #fragment names its own id if it has one, else an id of the page's main text
        # (a question linking to a heading of the quiz's introduction).
        self.own_ids = {
            token["data"][(None, "id")]
            for token in tokens
            if token["type"] in ("StartTag", "EmptyTag") and (None, "id") in token["data"]
        }
        for token in tokens:
            if token["type"] in ("StartTag", "EmptyTag"):
                if (None, "id") in token["data"]:
                    token["data"][(None, "id")] = self.id_prefix + token["data"][(None, "id")]
                if token["name"] == "a":
                    self._fix_link(token["data"])
                elif token["name"] == "img" and (None, "src") in token["data"]:
                    self._rewrite(token["data"], (None, "src"), is_link=False)
            yield token

    def _fix_link(self, attrs: _Attrs) -> None:
        attrs.pop((None, "target"), None)
        attrs.pop((None, "rel"), None)
        if (None, "href") not in attrs:
            return
        if attrs[(None, "href")].startswith("#") and len(attrs[(None, "href")]) > 1:
            anchor = attrs[(None, "href")][1:]
            named = unquote(convert_entities(anchor))
            prefix = self.id_prefix if named in self.own_ids or anchor in self.own_ids else CONTENT_ID_PREFIX
            attrs[(None, "href")] = "#" + prefix + anchor
            return
        if _is_external(convert_entities(attrs[(None, "href")]).strip()):
            attrs[(None, "target")] = "_blank"
            attrs[(None, "rel")] = "noopener noreferrer"
        else:
            self._rewrite(attrs, (None, "href"), is_link=True)

    def _rewrite(self, attrs: _Attrs, key: tuple[None, str], *, is_link: bool) -> None:
        # Decode entities exactly as bleach did when it approved the value.
        url = convert_entities(attrs[key]).strip()
        if self.policy is None or not is_relative(url):
            return
        parts = urlsplit(url)
        resolved = path_in_course(self.doc_dir, parts.path)
        if resolved is None:
            del attrs[key]  # outside the course folder: never guess, the linter reports it
        elif is_link and resolved.endswith(".md"):
            anchor = unquote(parts.fragment)
            attrs[key] = self.policy.lesson_link(resolved, CONTENT_ID_PREFIX + anchor if anchor else "")
        else:
            attrs[key] = self.policy.asset(resolved)


def _clean(raw_html: str, doc_dir: str, policy: UrlPolicy | None, id_prefix: str = CONTENT_ID_PREFIX) -> str:
    url_filter = partial(_UrlFilter, doc_dir=doc_dir, policy=policy, id_prefix=id_prefix)
    return Cleaner(filters=[url_filter]).clean(raw_html)


def sanitize_html(html_text: str) -> str:
    """Clean HTML from any source with the content allowlist (no URL rewriting)."""
    return _clean(html_text, "", None)


_ID_ATTR = re.compile(r'\sid="([^"]*)"')


def html_ids(clean_html: str) -> list[str]:
    """Every id in HTML this module produced (headings, footnotes), as the author's #anchors name
    them (without `CONTENT_ID_PREFIX`), for checking those anchors.

    A regex is enough here because the serializer always writes `id="..."` and escapes `"`.
    """
    return [html.unescape(value).removeprefix(CONTENT_ID_PREFIX) for value in _ID_ATTR.findall(clean_html)]


class _RefCollector(HTMLParser):
    """Collect a[href] and img[src] from the unsanitised Markdown output, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in values:
            self.refs.append(("a", values["href"].strip(), None))
        elif tag == "img" and "src" in values:
            self.refs.append(("img", values["src"].strip(), values.get("alt", "")))


def _flatten_toc(tokens: list[dict[str, Any]], id_prefix: str) -> list[dict]:
    flat: list[dict] = []
    for token in tokens:
        entry_id = id_prefix + token["id"]
        flat.append({"level": token["level"], "id": entry_id, "title": html.unescape(token["name"])})
        flat.extend(_flatten_toc(token.get("children", []), id_prefix))
    return flat


def _locate(text: str, raw_html: str) -> tuple[list[LinkRef], list[LinkRef], list[LinkRef]]:
    """Pair every link/image Markdown produced with where it was written in `text`."""
    collector = _RefCollector()
    collector.feed(raw_html)
    collector.close()
    offsets = {target: deque(found) for target, found in target_offsets(text).items()}
    last: dict[str, int] = {}
    index = LineIndex(text)
    links: list[LinkRef] = []
    images: list[LinkRef] = []
    files: list[LinkRef] = []
    seen: set[tuple[int, str, int]] = set()
    for tag, target, alt in collector.refs:
        if tag == "img":
            bucket = images
        elif is_relative(target):
            bucket = links if urlsplit(target).path.endswith(".md") else files
        else:
            continue  # external links and #anchors need no checks
        queue = offsets.get(target)
        if queue:
            last[target] = queue.popleft()
        elif target not in last:
            # Written in a way the scanner does not know: point at its first mention.
            last[target] = max(text.find(target), 0) if target else 0
        key = (id(bucket), target, last[target])
        if key not in seen:  # a reference definition used twice is one problem, not two
            seen.add(key)
            bucket.append(LinkRef(target, *index.line_col(last[target]), alt=alt))
    return links, images, files


def _as_written(text: str) -> str:
    """Text Markdown cannot render, shown as its author wrote it."""
    return f"<pre>{html.escape(text)}</pre>"


def render_markdown(
    text: str, *, doc_dir: str = "", policy: UrlPolicy | None = None, id_prefix: str = CONTENT_ID_PREFIX
) -> Rendered:
    """Render author Markdown to sanitised HTML; relative URLs resolve against `doc_dir`.

    `id_prefix` starts every id and every #fragment naming one. A page showing several pieces
    (questions, sessions) gives each its own (`piece_id_prefix`), so two footnotes 1 stay two ids.
    """
    text = defuse(text)
    # Lint refuses both in a course file (E111, E112). Raw HTML open too deep is found before Markdown
    # too (code spans counted, to be safe): Python-Markdown's HTML reader searches the rest of the
    # paragraph for each open tag at each comment (1,500 `<b>` and `<!-->`: 7 s).
    if overindented_lines(text) or html_too_deep(mask_fences(text)) is not None:
        return Rendered(html=_as_written(restore_hidden(text, as_html=False)))
    md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG)
    try:
        raw_html = restore_hidden(md.convert(text))
    except RecursionError:  # nesting deeper than `overindented_lines` knows how to see
        return Rendered(html=_as_written(restore_hidden(text, as_html=False)))
    if html_too_large(text, raw_html) or html_too_deep(raw_html) is not None:  # lint: E112
        return Rendered(html=_as_written(restore_hidden(text, as_html=False)))
    links, images, files = _locate(text, raw_html)
    clean = _clean(raw_html, doc_dir, policy, id_prefix)
    toc = _flatten_toc(getattr(md, "toc_tokens", []), id_prefix)
    return Rendered(html=clean, toc=toc, links=links, images=images, files=files)

"""GIFT texts as Markdown that shows each text format as written and cannot add quiz structure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Private-use characters stand for Markdown structure while text is escaped around them; any
# such character in the input is replaced first (`Span.from_lines`), so they cannot be forged by
# an author.
BLANK_MARK = "\ue000"
_BOLD, _ITALIC, _ITEM, _LINK_OPEN, _LINK_CLOSE = "\ue001", "\ue002", "\ue003", "\ue004", "\ue005"
_TRANSPARENT = " \t" + BLANK_MARK + _BOLD + _ITALIC + _ITEM + _LINK_OPEN + _LINK_CLOSE


# Literal text → Markdown. Characters that mean something anywhere in a line:
_INLINE = [
    (re.compile(r"([\\`*_\[\]|])"), r"\\\1"),
    (re.compile(r"&(?=#|\w+;)"), "&amp;"),
    (re.compile(r"<(?=\S)"), "&lt;"),  # raw HTML, autolinks and mail links all start so
    (re.compile(r"=>"), r"=\\>"),  # ` => ` separates the sides of a matching pair
]
# ...and at the start of a line (headings, quotes, lists, setext and answer lines, fences):
_LINE_START = [
    (re.compile(r"[#>+!-]"), r"\\\g<0>"),
    (re.compile(r"(\d+)\."), r"\1\\."),
    (re.compile(r"="), "&#61;"),
    (re.compile(r":"), "&#58;"),
    (re.compile(r"~"), "&#126;"),
]


def _escape_line_start(line: str) -> str:
    body = line.lstrip(_TRANSPARENT)
    prefix = line[: len(line) - len(body)]
    for pattern, replacement in _LINE_START:
        if pattern.match(body):
            return prefix + pattern.sub(replacement, body, count=1)
    return prefix + body


def escape_literal(text: str) -> str:
    """Markdown that displays `text` as it is, line breaks kept as soft breaks."""
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return "\n".join(_escape_line_start(line.strip(" \t")) for line in text.split("\n"))


_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^<>\s]+>")
_FENCE = re.compile(r"(`{3,}|~{3,})")


def protect_markdown(text: str) -> str:
    """Keep author Markdown, but without raw HTML or lines the quiz parser would read as structure."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        opener = None if fence else _FENCE.match(line)
        if fence or opener:
            fence = opener[1] if opener else ("" if line.rstrip() == fence else fence)
            out.append(line)
            continue
        kept = _AUTOLINK.findall(line)
        line = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", _AUTOLINK.sub("\ue00f", line)).replace("=>", "=\\>")
        for link in kept:
            line = line.replace("\ue00f", link, 1)
        line = re.sub(r"^(\s*)(#)", r"\1\\\2", line)
        line = re.sub(r"^(\s*)=", r"\1&#61;", line)
        out.append(re.sub(r"^(\s*[-+*]\s+)\[", r"\1\\[", line))
    # An unclosed fence would hide the rest of the quiz file, answers and questions included.
    return "\n".join(out + ([fence] if fence else []))


_DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "svg", "math", "template", "title"})
_DROPPED_EMPTY = frozenset({"img", "embed", "video", "audio", "source", "input"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "hr",
        "section",
        "article",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
    }
)
_SAFE_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"'()\[\]\\]+", re.IGNORECASE)


class _HtmlText(HTMLParser):
    """HTML to text with private-use marks for the little structure kept: b, i, p, br, li, a."""

    def __init__(self, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.parts: list[str] = []
        self.links: list[str] = []
        self.dropped: set[str] = set()
        self.hidden = 0  # depth inside elements dropped with their content
        self.depth = {_BOLD: 0, _ITALIC: 0}
        self.link_open = False

    def _toggle(self, mark: str, step: int) -> None:
        before = self.depth[mark]
        self.depth[mark] = max(0, before + step)
        if (before == 0) != (self.depth[mark] == 0):
            self.parts.append(mark)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.dropped.add(tag)
            self.hidden += 1
        elif self.hidden:
            return
        elif tag in _DROPPED_EMPTY:
            self.dropped.add(tag)
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n" + _ITEM)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in ("b", "strong", "i", "em"):
            self._toggle(_BOLD if tag in ("b", "strong") else _ITALIC, 1)
        elif tag == "a" and not self.link_open:
            href = (dict(attrs).get("href") or "").strip()
            if _SAFE_URL.fullmatch(href):
                self.links.append(href)
                self.parts.append(_LINK_OPEN)
                self.link_open = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _DROPPED_WITH_CONTENT:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.hidden = max(0, self.hidden - 1)
        elif self.hidden:
            return
        elif tag in _BLOCKS:
            self.parts.append("" if tag == "li" else "\n\n")
        elif tag in ("b", "strong", "i", "em"):
            self._toggle(_BOLD if tag in ("b", "strong") else _ITALIC, -1)
        elif tag == "a" and self.link_open:
            self.parts.append(_LINK_CLOSE)
            self.link_open = False

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            pattern = r"[^\S\n]+" if self.keep_newlines else r"\s+"
            self.parts.append(re.sub(pattern, " ", data))

    def text(self) -> str:
        """The collected text, every opened mark closed."""
        self.close()
        closing = [mark for mark, depth in self.depth.items() if depth]
        return "".join(self.parts + closing + ([_LINK_CLOSE] if self.link_open else []))


def _wrap(mark: str) -> re.Pattern[str]:
    return re.compile(f"{mark}(\\s*)(.*?)(\\s*){mark}", re.DOTALL)


_WRAPS = [(_wrap(_BOLD), "**"), (_wrap(_ITALIC), "*")]


def html_to_markdown(html_text: str, *, keep_newlines: bool = False) -> tuple[str, set[str]]:
    """Markdown for an HTML fragment, and the tags dropped on the way (images, scripts...)."""
    parser = _HtmlText(keep_newlines)
    parser.feed(html_text)
    text = escape_literal(parser.text())
    for pattern, mark in _WRAPS:

        def wrapped(found: re.Match[str], mark: str = mark) -> str:
            return found[1] + (mark + found[2] + mark if found[2] else "") + found[3]

        text = pattern.sub(wrapped, text)
    links = iter(parser.links)

    def link(match: re.Match[str]) -> str:
        href = next(links)
        return f"[{match[1]}]({href})" if match[1].strip() else ""

    text = re.sub(f"{_LINK_OPEN}(.*?){_LINK_CLOSE}", link, text, flags=re.DOTALL)
    text = text.replace(_ITEM, "- ")
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", re.sub(r"[ \t]{2,}", " ", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip(), parser.dropped


def text_to_markdown(value: str, text_format: str) -> tuple[str, set[str]]:
    """Markdown showing a GIFT text of the given format, and the HTML tags it had to drop."""
    if text_format == "markdown":
        return protect_markdown(value), set()
    if text_format == "plain":
        return escape_literal(value), set()
    # Moodle's default format is HTML in which line breaks count, as Moodle shows them.
    return html_to_markdown(value, keep_newlines=text_format == "moodle")


def one_line(text: str) -> str:
    """Whitespace, line breaks included, collapsed to single spaces."""
    return " ".join(text.split())

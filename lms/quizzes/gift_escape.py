"""GIFT source text with its escapes and positions, and the way its texts become safe Markdown.

GIFT escapes (`\\=`, `\\{`...) decide which characters are syntax, so the parser works on a
`Span` that remembers, per character, whether it came from an escape and where it stood in the
file. The Markdown side turns each text format (moodle, html, plain, markdown) into Markdown that
shows the same text and cannot add structure to the generated quiz file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

# What follows a backslash in GIFT, and what the pair stands for; any other backslash is kept.
GIFT_ESCAPES = {"=": "=", "~": "~", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n"}
TEXT_FORMATS = ("moodle", "html", "plain", "markdown")
BLANK = "_____"
# Private-use characters stand for Markdown structure while text is escaped around them; any
# such character in the input is replaced first, so they cannot be forged by an author.
BLANK_MARK = "\ue000"
_BOLD, _ITALIC, _ITEM, _LINK_OPEN, _LINK_CLOSE = "\ue001", "\ue002", "\ue003", "\ue004", "\ue005"
_MARKS = re.compile("[\ue000-\ue00f]")
_TRANSPARENT = " \t" + BLANK_MARK + _BOLD + _ITALIC + _ITEM + _LINK_OPEN + _LINK_CLOSE

Position = tuple[int, int]
_FORMAT_PREFIX = re.compile(r"\[(" + "|".join(TEXT_FORMATS) + r")\]", re.IGNORECASE)


def question_blocks(text: str) -> Iterator[list[tuple[int, int, str]]]:
    """Runs of non-blank lines as (line, column, stripped text); `//` comment lines do not end a run."""
    block: list[tuple[int, int, str]] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff")), start=1):
        line = raw.strip()
        if not line:
            if block:
                yield block
            block = []
        elif not line.startswith("//"):
            block.append((number, len(raw) - len(raw.lstrip()) + 1, line))
    if block:
        yield block


def format_prefix(value: str, default: str) -> tuple[str, str]:
    """Split off the `[html]`, `[markdown]`, `[plain]` or `[moodle]` that may open any GIFT text."""
    stripped = value.lstrip()
    match = _FORMAT_PREFIX.match(stripped)
    return (match[1].lower(), stripped[match.end() :]) if match else (default, value)


@dataclass(frozen=True)
class Span:
    """Decoded GIFT text; `literal[i]` is True where character i came from an escape."""

    text: str
    literal: tuple[bool, ...]
    where: tuple[Position, ...]
    end: Position  # just after the last character, for problems "at the end"

    @classmethod
    def from_lines(cls, lines: list[tuple[int, int, str]]) -> Span:
        """Join (line number, column of first character, text) lines, decoding the escapes."""
        chars: list[str] = []
        literal: list[bool] = []
        where: list[Position] = []
        for number, col, line in lines:
            if chars:  # the line break stands just after the previous line
                chars.append("\n")
                literal.append(False)
                where.append((where[-1][0], where[-1][1] + 1))
            index = 0
            while index < len(line):
                char, escaped = line[index], False
                if char == "\\" and index + 1 < len(line) and line[index + 1] in GIFT_ESCAPES:
                    char, escaped = GIFT_ESCAPES[line[index + 1]], True
                chars.append(_MARKS.sub("\ufffd", char))
                literal.append(escaped)
                where.append((number, col + index))
                index += 2 if escaped else 1
        last_number, last_col, last_line = lines[-1]
        return cls("".join(chars), tuple(literal), tuple(where), (last_number, last_col + len(last_line)))

    def __getitem__(self, cut: slice) -> Span:
        start, stop, _ = cut.indices(len(self.text))
        stop = max(start, stop)
        end = self.where[stop] if stop < len(self.text) else self.end
        return Span(self.text[start:stop], self.literal[start:stop], self.where[start:stop], end)

    def pos(self, index: int = 0) -> Position:
        """Where character `index` stood; the end position past the last one."""
        return self.where[index] if index < len(self.where) else self.end

    def _syntax_at(self, index: int, needle: str) -> bool:
        return self.text.startswith(needle, index) and not any(self.literal[index : index + len(needle)])

    def find(self, needle: str, start: int = 0) -> int:
        """Index of the first unescaped `needle` from `start`, or -1."""
        index = self.text.find(needle, start)
        while index >= 0 and not self._syntax_at(index, needle):
            index = self.text.find(needle, index + 1)
        return index

    def rfind(self, needle: str) -> int:
        """Index of the last unescaped `needle`, or -1."""
        index = self.text.rfind(needle)
        while index >= 0 and not self._syntax_at(index, needle):
            index = self.text.rfind(needle, 0, index + len(needle) - 1)
        return index

    def startswith(self, needle: str) -> bool:
        """Whether the span opens with an unescaped `needle`."""
        return self._syntax_at(0, needle)

    def split(self, needle: str, maxsplit: int = -1) -> list[Span]:
        """Split at unescaped `needle`, like `str.split`."""
        parts: list[Span] = []
        start = 0
        while maxsplit < 0 or len(parts) < maxsplit:
            index = self.find(needle, start)
            if index < 0:
                break
            parts.append(self[start:index])
            start = index + len(needle)
        return [*parts, self[start:]]

    def strip(self) -> Span:
        """The span without surrounding whitespace (escaped newlines included, as Moodle trims)."""
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self[left:right] if left < right else self[left:left]


def answer_block(span: Span) -> tuple[int, int, list[tuple[Position, str]]]:
    """Where the question's one `{` and its `}` are (-1 when absent), and the brace problems."""
    open_at = close_at = -1
    state = "before"  # before, inside, after the answer block, or inside a refused second one
    problems: list[tuple[Position, str]] = []
    for index, char in enumerate(span.text):
        if char not in "{}" or span.literal[index]:
            continue
        if char == "{" and state == "before":
            open_at, state = index, "inside"
        elif char == "{" and state == "after":
            problems.append(
                (
                    span.pos(index),
                    "a second answer block: a question has one `{...}`; write a literal brace as `\\{`",
                )
            )
            state = "refused"
        elif char == "{" and state == "inside":
            problems.append((span.pos(index), "`{` inside the answer block: write a literal brace as `\\{`"))
        elif char == "}" and state in ("inside", "refused"):
            close_at, state = (index if state == "inside" else close_at), "after"
        elif char == "}":
            problems.append((span.pos(index), "unmatched `}`: write a literal brace as `\\}`"))
    if state == "inside":
        problems.append(
            (span.pos(open_at), "unclosed `{`: end the answer block with `}` (a blank line ends a question)")
        )
    return open_at, close_at, problems


_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,2})?")


def read_number(text: str) -> tuple[str, str, str | None] | str:
    """A GIFT numeric answer (`5`, `5:0.5`, `1..10`) as (value, tolerance, upper), or the problem."""
    low, sep, high = text.partition("..") if ".." in text else text.partition(":")
    low, high = low.strip(), high.strip() if sep else "0"
    for part in (low, high):
        if not _NUMBER.fullmatch(part):
            hint = " (write the decimal mark as a dot)" if re.fullmatch(r"[-+]?\d+,\d+", part) else ""
            return f"not a number: {part!r}{hint}" if part else "empty answer"
    if sep == ".." and float(low) > float(high):
        return f"the range {text} is empty: write the smaller number first"
    if sep == ":" and float(high) < 0:
        return "the tolerance must not be negative"
    low, high = (format(Decimal(part), "f") for part in (low, high))  # the LMS reads no exponents
    return (low, "0", high) if sep == ".." else (low, high, None)


def escape_gift(text: str) -> str:
    """Write `text` so that GIFT reads it back as plain text (Moodle's own export escaping)."""
    out = text.replace("\\", "\\\\")
    for char in "=~#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


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
        if fence or (opener := _FENCE.match(line)):
            fence = "" if fence and line.rstrip() == fence else fence or opener[1]
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
        text = pattern.sub(lambda m, mark=mark: m[1] + (mark + m[2] + mark if m[2] else "") + m[3], text)
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


_CYRILLIC = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)


def slugify(title: str, limit: int = 40) -> str:
    """Latin lowercase id for a title: Cyrillic transliterated, other accents dropped."""
    latin = unicodedata.normalize("NFKD", title.lower().translate(_CYRILLIC))
    ascii_only = latin.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:limit].rstrip("-")


def unique_id(base: str, taken: list[str] | set[str], limit: int = 40) -> str:
    """`base`, or `base-2`, `base-3`... cut to fit `limit`, whichever is not taken yet."""
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base[: limit - len(str(suffix)) - 1].rstrip('-')}-{suffix}"
    return candidate


def option_ids() -> Iterator[str]:
    """a, b, ... z, aa, ab, ..."""
    index = 0
    while True:
        index += 1
        rest, letters = index, ""
        while rest:
            rest, digit = divmod(rest - 1, 26)
            letters = chr(ord("a") + digit) + letters
        yield letters


def one_line(text: str) -> str:
    """Whitespace, line breaks included, collapsed to single spaces."""
    return " ".join(text.split())

"""GIFT source text with its escapes and positions: what the GIFT parser reads a file through.

GIFT escapes (`\\=`, `\\{`...) decide which characters are syntax, so the parser works on a
`Span` that remembers, per character, whether it came from an escape and where it stood in the
file. How its texts become safe Markdown is `to_markdown.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

# What follows a backslash in GIFT, and what the pair stands for; any other backslash is kept.
GIFT_ESCAPES = {"=": "=", "~": "~", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n"}
TEXT_FORMATS = ("moodle", "html", "plain", "markdown")
# The private-use characters to_markdown.py uses for Markdown structure: any in the input is
# replaced as the text is read, so an author cannot forge one.
_MARKS = re.compile("[\ue000-\ue00f]")

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

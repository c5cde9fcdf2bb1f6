"""Find where link and image targets are written in Markdown source.

Markdown keeps no line numbers, so the renderer takes *which* links exist from its own
output and asks this module *where* each one was written. Code is masked out first so
examples inside fences and code spans are never mistaken for real links.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable

_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,})[ \t]*")
_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_BLANK_LINE = re.compile(r"(\n[ \t]*\n)")
_INLINE_START = re.compile(r"\]\(")
_REFERENCE_DEF = re.compile(r"^[ \t]*\[(?!\^)[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)", re.MULTILINE)
_HTML_TAG = re.compile(r"<(?:a|img)\b[^>]*>", re.IGNORECASE)
_HTML_URL_ATTR = re.compile(
    r"""[\s/](?:href|src)[ \t\n]*=[ \t\n]*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE
)
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CALLOUT = re.compile(r"^[ \t]*!!![ \t]*([A-Za-z0-9_-]+)", re.MULTILINE)
# A numeric character reference too long to name any character (past U+10FFFF whatever its zeros).
_OVERLONG_CHARREF = re.compile(r"&#(?:[xX][0-9a-fA-F]{7,}|[0-9]{8,})")


def defuse_charrefs(text: str) -> str:
    """Numeric character references too long to name a character, as `&#x…FFFD` (U+FFFD, as a
    browser shows them) of the same length, so every offset stays. Python's `html.unescape`
    raises on one of thousands of decimal digits (int's digit limit)."""
    return _OVERLONG_CHARREF.sub(_replacement_charref, text)


def _replacement_charref(match: re.Match[str]) -> str:
    digits = len(match.group(0)) - 3  # after `&#x`, or all the decimal digits but one
    return "&#x" + "0" * (digits - 4) + "FFFD"


def unescape(text: str) -> str:
    """`html.unescape` that never raises on an overlong character reference."""
    return html.unescape(defuse_charrefs(text))


def _blank(text: str) -> str:
    """Replace text by spaces of the same length, keeping newlines so offsets survive."""
    return re.sub(r"[^\n]", " ", text)


def mask_fences(text: str) -> str:
    """Blank out fenced code blocks, keeping every offset: the code Markdown's block parser never
    sees. A fence no later line closes opens no block, as Python-Markdown reads it: the text after
    it is rendered, so it is not masked (masking it let a single ``` hide a flood from the guard)."""
    lines = text.split("\n")
    closings: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        closing = _FENCE_CLOSE.fullmatch(line)
        if closing:
            closings.setdefault(closing.group(1), []).append(index)
    index = 0
    while index < len(lines):
        opener = _FENCE_OPEN.match(lines[index])
        candidates = closings.get(opener.group(1), []) if opener else []
        after = bisect.bisect_right(candidates, index)
        if after == len(candidates):
            index += 1
            continue
        for inside in range(index, candidates[after] + 1):
            lines[inside] = _blank(lines[inside])
        index = candidates[after] + 1
    return "\n".join(lines)


def mask_code(text: str) -> str:
    """Blank out fenced code blocks, code spans and HTML comments, keeping every offset.

    Spans and comments are read one paragraph at a time, as Markdown's inline patterns read them:
    a backtick, or a `<!--`, never hides the paragraphs after a blank line (that let one of them
    hide a flood of brackets from the guard)."""
    return mask_spans(mask_fences(text))


def mask_spans(fenced: str) -> str:
    """`mask_code` for a text whose fences `mask_fences` has already blanked."""
    pieces = _BLANK_LINE.split(fenced)
    for index in range(0, len(pieces), 2):  # the separators, at odd indexes, stay as they are
        pieces[index] = fill_comments(_CODE_SPAN.sub(lambda m: _blank(m.group(0)), pieces[index]))
    return "".join(pieces)


def fill_comments(text: str, fill: Callable[[str], str] = _blank) -> str:
    """`text` with each closed `<!-- ... -->` replaced by `fill` of it (the same length; blanks by
    default). Found with `find`, not a lazy regex: one that searched from each of thousands of
    unclosed `<!--` to the end was quadratic."""
    parts, done = [], 0
    while (start := text.find("<!--", done)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:  # none closes after this one, so none after it closes either
            break
        parts += [text[done:start], fill(text[start : end + 3])]
        done = end + 3
    return "".join(parts) + text[done:]


def fenced_lines(lines: list[str]) -> list[bool]:
    """Which lines are inside (or open/close) a fenced code block; quiz and scenario parsers skip them."""
    flags = []
    fence = ""
    for line in lines:
        if fence:
            flags.append(True)
            if line.rstrip() == fence:
                fence = ""
            continue
        opener = _FENCE_OPEN.match(line)
        fence = opener.group(1) if opener else ""
        flags.append(bool(opener))
    return flags


def _inline_destination(text: str, start: int) -> tuple[str, int] | None:
    """Read a link destination starting right after `](`; return it and its offset."""
    pos = start
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos < len(text) and text[pos] == "<":
        end = text.find(">", pos + 1)
        newline = text.find("\n", pos + 1)
        if end == -1 or (newline != -1 and newline < end):
            return None
        return text[pos + 1 : end], pos + 1
    depth = 0
    end = pos
    while end < len(text):
        char = text[end]
        if char == "\\":
            end += 2
            continue
        # A destination ends at the next `](` too: else `](` written 25,000 times made each walk to
        # the text's end (quadratic: 90 s for a 50,000-character answer).
        if char.isspace() or (char == "]" and text.startswith("(", end + 1)):
            break
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        end += 1
    end = min(end, len(text))
    return _BACKSLASH_ESCAPE.sub(r"\1", text[pos:end]), pos


def target_offsets(text: str) -> dict[str, list[int]]:
    """Map each link/image target written in `text` to the offsets where it appears, in order."""
    masked = mask_code(text)
    found: list[tuple[int, str]] = []
    for match in _INLINE_START.finditer(masked):
        destination = _inline_destination(masked, match.end())
        if destination is not None:
            found.append((destination[1], destination[0]))
    for match in _REFERENCE_DEF.finditer(masked):
        target, offset = match.group(1), match.start(1)
        if target.startswith("<") and target.endswith(">"):
            target, offset = target[1:-1], offset + 1
        found.append((offset, _BACKSLASH_ESCAPE.sub(r"\1", target)))
    for tag in _HTML_TAG.finditer(masked):
        for attr in _HTML_URL_ATTR.finditer(tag.group(0)):
            group = next(g for g in (1, 2, 3) if attr.group(g) is not None)
            found.append((tag.start() + attr.start(group), unescape(attr.group(group))))
    offsets: dict[str, list[int]] = {}
    for offset, target in sorted(found):
        offsets.setdefault(unescape(target).strip(), []).append(offset)
    return offsets


def callout_kinds(text: str) -> list[tuple[str, int]]:
    """Return each `!!! kind` callout outside code with the offset of its kind."""
    return [(m.group(1), m.start(1)) for m in _CALLOUT.finditer(mask_code(text))]


class LineIndex:
    """Turn string offsets into 1-based line and column numbers quickly."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        """Return (line, col), both 1-based, for a 0-based offset."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

"""Markdown that would cost Python-Markdown minutes, or crash it, found and defused before rendering.

Ten inputs, rare in real text and cheap to find in one pass, each reachable by a candidate's
answer (50,000 characters) as well as by a course file:

- Brackets that never become links. Python-Markdown's link patterns walk from each `[` to its
  closing `]`, and from a `](` to its `)`, to the paragraph's end when none comes (Python-Markdown
  issue #798): 50,000 `[` took four minutes of one worker's CPU. A paragraph whose walks would be
  that long has its brackets hidden from Markdown (as two noncharacters, put back in its output),
  so they show as written and cost nothing. Escaping them (`\\[`) would not do: Markdown pays
  each escape with a copy of the paragraph, quadratic again.
- Lists nested hundreds deep: Python-Markdown recurses per level, and 500 levels exceed Python's
  recursion limit. Lint refuses such a line in course files (E111); elsewhere the text is shown
  as written.
- Thousands of lines that each end a block where they stand (headings, rules, setext underlines,
  callouts, definition-list entries, abbreviation, footnote and link definitions between lines of
  text), in a paragraph, a quote or an indented body (a callout's, a footnote's, a definition's),
  with no blank line between them: Python-Markdown splits the block at each and searches what
  follows again (12,500 `# a` lines, 50,000 characters: 11 s; 6,250 `*[A]: b`: 20 s; 5,000
  `    *[A]: b` under `[^1]: a`: 6 s). Such a paragraph has the first mark of each of those lines
  hidden the same way, so it shows as written. A code span does not protect them (blocks are split before
  inline code is read), nor does a fence no line closes (Python-Markdown renders what follows it).
- Tags left unclosed thousands of times (`<a href=` over and over): Python's HTML parser, which
  Python-Markdown runs over the whole text, looks for each one's `>` to the text's end (10,000
  of them: 8 s). Past a budget their `<` are hidden too, and shown as written.
- Code fences opened thousands of times and never closed (```` ```a ```` on every line): the
  fenced-code search runs from each to the text's end for its closing fence (10,000 of them: 5 s).
  Past a budget their marks are hidden too, and they show as written.
- Elements nested thousands deep, or thousands of tags left open (`<div>` × 10,000 in raw HTML):
  the HTML parser under bleach walks every open element at each new tag, so the cost is the
  square of the depth (10,000 open `<ul>`, 60,000 characters: seconds of CPU). Markdown's output
  is measured first (`html_depth`); past MAX_HTML_DEPTH the text is shown as written, and lint
  refuses such raw HTML in course files (E112).
- Backticks that never close: a code span may open at any backtick not right after `\\`, and
  scans to the paragraph's end for a closing run of its exact length (`\\```` over and over: 10 s).
  Past a budget the paragraph's backticks are hidden too, and shown as written.
- Raw HTML with thousands of tags open is shown as written before Markdown reads it (see
  `html_too_deep`): Python-Markdown's HTML reader searches the rest for each at each comment.
- One footnote referenced thousands of times: Python-Markdown names each repeat (`fnref2`,
  `fnref3`, ...) by counting up from the first, so n references to one footnote cost n²/2 steps
  (6,000 `[^1]`: 18 s). Past a budget the references' `[` are hidden too, and shown as written.
- An abbreviation or a reference link with a long title or address, used thousands of times:
  Markdown copies the title or address into every use (a 5,000-character title over 20,000 `A`:
  100 MB of HTML, 10 s). Past a budget of characters copied, the definition's first mark is hidden
  too, so it shows as written and its uses stay text; `html_too_large` measures the output besides.
- A numeric character reference of thousands of digits (`&#999…;`): Python's `html.unescape`
  refuses to convert it (int's digit limit) and raised out of the renderer. It names no character
  anyway, so it becomes U+FFFD, as a browser shows it, written at the same length (offsets stay).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lms.content.scan import defuse_charrefs, fill_comments, mask_code, mask_fences, mask_spans

# Characters the link patterns may walk in one paragraph, and in a whole text, before its brackets
# are escaped. Real links walk only their own text and address: a paragraph of 100 links walks a
# few thousand characters. 20,000 characters take Python-Markdown about 4 ms.
BRACKET_WALK_PER_BLOCK = 20_000
BRACKET_WALK_PER_TEXT = 500_000
# Leading whitespace past this many columns is nesting no reader follows (200 levels of lists).
MAX_INDENT_COLUMNS = 400

# Elements open at once past this is no document a person wrote: lists nested to MAX_INDENT_COLUMNS
# reach about 200. At 500 the parser's walks cost about 0.05 s.
MAX_HTML_DEPTH = 500

_BRACKET_OR_PAREN = re.compile(r"[\[\]()]")
# A start or end tag as an HTML tokenizer sees it: `<name`, then anything up to the closing `>`.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*>")
# Elements that have no end tag, and so never stay open.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


# Noncharacters, never interchanged and so never in an author's text, stand for the brackets of a
# flooded paragraph, and for the first mark of a split-flooded paragraph's lines, while Markdown
# renders it; `restore_hidden` puts them back.
_HIDDEN_BRACKETS = {"[": "\ufdd0", "]": "\ufdd1"}
_HIDDEN_MARKS = {
    **{"#": "\ufdd2", "=": "\ufdd3", "-": "\ufdd4", "*": "\ufdd5", "_": "\ufdd6", "!": "\ufdd7"},
    ":": "\ufddb",
}
_HIDDEN_TAG_START = "\ufdd8"
_HIDDEN_FENCE_MARKS = {"`": "\ufdd9", "~": "\ufdda"}
_HIDDEN = {**_HIDDEN_BRACKETS, **_HIDDEN_MARKS, "<": _HIDDEN_TAG_START, **_HIDDEN_FENCE_MARKS}
# What starts a tag, a comment or a declaration for Python's HTML parser.
_TAG_START = re.compile(r"<[A-Za-z/!?]")
# Characters that parser may scan in one text looking for the ends of tags: 2 million take about 0.1 s.
TAG_SCAN_PER_TEXT = 2_000_000
# A line that may open a fenced code block, and one that may close it (the same marks alone), as
# Python-Markdown's fenced-code search sees them; and the characters that search may scan looking
# for the closing fences of those never closed: 2 million take about 0.04 s.
_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})", re.MULTILINE)
_FENCE_CLOSE = re.compile(r"^(`{3,}|~{3,}) *$", re.MULTILINE)
FENCE_SCAN_PER_TEXT = 2_000_000
# Characters the code-span pattern may scan in one paragraph looking for closing runs (the same
# search, inline): 2 million take about 0.05 s.
_BACKTICK_RUN = re.compile(r"`+")
BACKTICK_SCAN_PER_BLOCK = 2_000_000
# Lines that end a block where they stand, also inside a quote (Markdown parses a quote's text as
# a block of its own): an ATX heading, a rule, a setext underline, a callout, a definition list's
# `: ` line, an abbreviation's definition, and a link's or footnote's (consecutive link definitions
# are read in one pass, but each one between lines of text splits the block). At any indent: the
# body of a callout, a footnote or a definition is parsed again as blocks once its indent is taken
# off (6,000 `    *[A]: b` under `!!! note`: 6 s). In indented code the hidden mark shows as written.
_LINE_PREFIX = r"(?:[ \t]*> ?)*[ \t]*"
_SPLITTING_MARKS = r"#|(?:[-*_] *){3,}$|[=-]+ *$|!!!|: |\*\[|\[[^\[\]\n]*\]:"
_SPLITTING_LINE = re.compile(rf"^{_LINE_PREFIX}(?:{_SPLITTING_MARKS})", re.MULTILINE)
_LINE_PREFIX_RE = re.compile(_LINE_PREFIX)
# Characters Python-Markdown's block tests search in one paragraph, its splitting lines times its
# length: 8 million take 0.15 s for headings, 0.4 s for abbreviations (more tests search before
# theirs). A paragraph of 50 headings in 20,000 characters, with no blank line: 1 million.
SPLIT_SEARCH_PER_BLOCK = 8_000_000
# Where a footnote reference opens, and the steps Python-Markdown's numbering of repeated references
# may take in one text (each costs as many as the references to its footnote before it): 20,000
# steps are about 200 references to one footnote, 0.05 s; real text has a few.
_FOOTNOTE_OPEN = re.compile(r"\[\^")
FOOTNOTE_REF_STEPS_PER_TEXT = 20_000
# Definitions whose title or address Markdown copies into each use: an abbreviation's (`*[A]: ...`)
# and a reference link's or image's (`[a]: url "title"`, its title perhaps on the next line).
# A label never runs past a blank line (Markdown reads one block at a time), so each search stays
# in its paragraph, whose `*[` lines the split count bounds.
_ABBREVIATION = re.compile(
    r"^[ \t>]*(\*)\[((?:[^\\\n]|\n(?![ \t]*\n))*?)\][ ]?:[ ]*\n?[ ]*(.*)$", re.MULTILINE
)
_REFERENCE = re.compile(r"^[ \t>]*(\[)([^\[\]]*)\]:[ ]*\n?[ ]*(\S.*(?:\n[ \t]*[\"'(].*)?)$", re.MULTILINE)
_WHITESPACE = re.compile(r"\s+")  # a reference's label matches in any case and whitespace
# Characters such copies may add to one text's HTML. A title or an address shorter than
# SHORT_COPY adds no more than a tag does, and is not counted.
COPIED_PER_TEXT = 1_000_000
SHORT_COPY = 64
# Markdown's output past this many times its text, plus HTML_GROWTH_EXTRA, is no page a person
# wrote: text makes 2-5 times its length, a table 9, footnotes 14.
HTML_GROWTH = 20
HTML_GROWTH_EXTRA = 200_000


def defuse(text: str) -> str:
    """`text` as Python-Markdown can render quickly, every offset kept: overlong character
    references neutralised and the brackets of paragraphs they would stall hidden (see the
    module's docstring). Pass Markdown's output through `restore_hidden`."""
    hidden = hide_footnote_ref_floods(hide_bracket_floods(defuse_charrefs(text)))
    hidden = hide_copy_floods(hide_open_tags(hide_split_floods(hidden)))  # copies: after the splits
    return hide_backtick_floods(hide_unclosed_fences(hidden))


def restore_hidden(rendered: str, *, as_html: bool = True) -> str:
    """Markdown's output (`as_html`), or the defused text itself, with what was hidden shown again
    as its author wrote it: a hidden `<` is `&lt;` in HTML."""
    for mark, hidden in _HIDDEN.items():
        rendered = rendered.replace(hidden, "&lt;" if as_html and mark == "<" else mark)
    return rendered


def flooded_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the paragraphs whose brackets would make the link patterns walk
    past the budgets; fenced code is not walked and not counted.

    Code spans are counted both ways, as text and as code: which backticks pair up depends on
    where Markdown's blocks begin (an indented line of code before a paragraph shifts every pair),
    and a guess that put the brackets inside spans let 2,500 of them through (10 s)."""
    fenced = mask_fences(text)
    masked = mask_spans(fenced)
    flooded, total = [], 0
    # Paragraphs as the block parser sees them: a code span across lines blanks them, but they stay
    # one paragraph (read apart, the span's two sides each looked small); a comment across a blank
    # line is one block of raw HTML, which joins the text on either side into one paragraph.
    for start, end in _paragraphs(_glue_comments(fenced)):
        walked = max(bracket_walk(fenced[start:end]), bracket_walk(masked[start:end]))
        if walked > BRACKET_WALK_PER_BLOCK or total + walked > BRACKET_WALK_PER_TEXT:
            flooded.append((start, end))
        else:
            total += walked
    return flooded


def _glue_comments(text: str) -> str:
    """`text` with each closed `<!-- ... -->` written over with `-`, its line breaks included, so
    no blank line inside one separates paragraphs; offsets kept."""
    return fill_comments(text, lambda comment: "-" * len(comment))


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-blank lines: the blocks whose inline text Markdown walks."""
    blocks, start, offset = [], None, 0
    for line in text.split("\n"):
        if line.strip():
            start = offset if start is None else start
        elif start is not None:
            blocks.append((start, offset - 1))
            start = None
        offset += len(line) + 1
    if start is not None:
        blocks.append((start, len(text)))
    return blocks


def hide_bracket_floods(text: str) -> str:
    """`text` with every bracket of a flooded paragraph (outside fenced code) hidden from Markdown;
    in a code span too, where it shows as a bracket all the same."""
    return _hide_at(
        text,
        (
            at
            for start, end in flooded_blocks(text)
            for at in range(start, end)
            if text[at] in _HIDDEN_BRACKETS and not _escaped(text, at)  # `\\[` shows as `[` already
        ),
    )


def _hide_at(text: str, offsets: Iterable[int]) -> str:
    """`text` with the character at each offset replaced by the noncharacter that stands for it
    (see `restore_hidden`); one already hidden stays as it is."""
    chars = list(text)
    for at in offsets:
        chars[at] = _HIDDEN.get(text[at], chars[at])
    return "".join(chars)


def split_flooded_blocks(text: str) -> list[tuple[int, int, int]]:
    """(start, end, splitting lines) of the paragraphs (outside fenced code) whose splitting lines,
    times their length, pass SPLIT_SEARCH_PER_BLOCK. Code spans and comments are inline: the block
    parser splits what they hold as any other text, so they are counted."""
    masked = mask_fences(text)
    flooded = []
    for start, end in _paragraphs(masked):
        splits = len(_splitting_marks(masked, start, end))
        if splits > 1 and splits * (end - start) > SPLIT_SEARCH_PER_BLOCK:
            flooded.append((start, end, splits))
    return flooded


def hide_split_floods(text: str) -> str:
    """`text` with the first mark of each splitting line of a split-flooded paragraph hidden."""
    blocks = split_flooded_blocks(text)
    if not blocks:
        return text
    masked = mask_fences(text)
    return _hide_at(text, (at for start, end, _ in blocks for at in _splitting_marks(masked, start, end)))


def _splitting_marks(masked: str, start: int, end: int) -> list[int]:
    """Offsets of the first mark of each line between `start` and `end` that splits its block: a
    definition right after another of its kind (link or footnote), at the same indent and in the
    same quote, is read in the same pass, and is left out."""
    marks: list[int] = []
    previous_definition = (-2, "")  # (where its line ends, its prefix and kind): none yet
    for line in _SPLITTING_LINE.finditer(masked, start, end):
        at = _LINE_PREFIX_RE.match(masked, line.start()).end()  # type: ignore[union-attr]
        if masked[at] != "[":
            marks.append(at)
            continue
        prefix_and_kind = masked[line.start() : at] + ("^" if masked.startswith("[^", at) else "[")
        if previous_definition != (line.start() - 1, prefix_and_kind):
            marks.append(at)
        line_end = masked.find("\n", at)
        previous_definition = (len(masked) if line_end == -1 else line_end, prefix_and_kind)
    return marks


def footnote_ref_floods(text: str) -> list[int]:
    """Offsets of the `[` of each footnote reference past FOOTNOTE_REF_STEPS_PER_TEXT, in text
    order; a footnote's definition (`[^1]:` starting a line) is no reference. Code is counted too:
    a mark hidden there shows as written all the same.

    Read in one pass: a reference runs from its `[^` to the next `]` (Markdown's pattern), and the
    next one starts after it; a `[^` with no `]` after it ends the search (a pattern search from
    each of thousands of them would read the rest of the text each time)."""
    references: dict[str, int] = {}
    steps, over = 0, []
    searched_to, newline_from, line_start, prefix_end = 0, 0, -1, 0
    for opening in _FOOTNOTE_OPEN.finditer(text):
        at = opening.start()
        if at < searched_to or _escaped(text, at):
            continue
        close = text.find("]", at + 2)
        if close == -1:
            break
        searched_to = close + 1
        newline = text.rfind("\n", newline_from, at)
        newline_from = at
        if newline != -1 or line_start < 0:  # a new line: where its quotes and indent end, read once
            line_start = newline + 1
            prefix_end = _LINE_PREFIX_RE.match(text, line_start).end()  # type: ignore[union-attr]
        if at == prefix_end and text.startswith(":", close + 1):
            continue
        label = text[at + 2 : close]
        before = references.get(label, 0)
        if steps + before > FOOTNOTE_REF_STEPS_PER_TEXT:
            over.append(at)
        else:
            steps += before
            references[label] = before + 1
    return over


def hide_footnote_ref_floods(text: str) -> str:
    """`text` with the `[` of every footnote reference past the budget hidden from Markdown."""
    over = footnote_ref_floods(text)
    return _hide_at(text, over) if over else text


def copy_floods(text: str) -> list[int]:
    """Offsets of the first mark of each abbreviation or reference definition whose title or
    address, times its uses, would take the characters copied past COPIED_PER_TEXT. Uses are
    counted as the text's occurrences of the label (the definition's own line included), so
    more rather than fewer; a reference's label as Markdown reads it, any case and whitespace."""
    copied, over = 0, []
    normalised: str | None = None
    # A paragraph of thousands of `*[` lines is shown as written anyway, and searching each of its
    # labels to the paragraph's end would cost the square of its length.
    searched = hide_split_floods(text)
    for pattern in (_ABBREVIATION, _REFERENCE):
        for definition in pattern.finditer(searched):
            length, label = len(definition.group(3)), definition.group(2)
            if length < SHORT_COPY or not label.strip():
                continue
            if pattern is _ABBREVIATION:
                uses = searched.count(label)
            else:
                normalised = normalised or _WHITESPACE.sub(" ", searched.lower())
                uses = normalised.count("[" + _WHITESPACE.sub(" ", label.strip().lower()) + "]")
            if copied + length * uses > COPIED_PER_TEXT:
                over.append(definition.start(1))
            else:
                copied += length * uses
    return over


def hide_copy_floods(text: str) -> str:
    """`text` with the first mark of every definition copied past the budget hidden from Markdown."""
    over = copy_floods(text)
    return _hide_at(text, over) if over else text


def html_too_large(text: str, html_text: str) -> bool:
    """Whether Markdown's output of `text` is past HTML_GROWTH times its length (plus
    HTML_GROWTH_EXTRA): copies the guard did not foresee, caught before the sanitiser reads them."""
    return len(html_text) > HTML_GROWTH * len(text) + HTML_GROWTH_EXTRA


def backtick_flooded_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs (outside fenced code) whose backtick runs would make
    Python-Markdown's code-span pattern scan past BACKTICK_SCAN_PER_BLOCK looking for closings."""
    fenced = mask_fences(text)
    return [
        (start, end)
        for start, end in _paragraphs(_glue_comments(fenced))
        if backtick_scan(fenced[start:end]) > BACKTICK_SCAN_PER_BLOCK
    ]


def backtick_scan(block: str) -> int:
    """About how many characters the code-span pattern scans in `block`. It may open a span at any
    backtick not right after a `\\`, with any length up to the run's end, and closes it only at a
    whole run of that length: a length no later run has scans to the block's end, from each place
    it may start. A run with a later run of its length (and no `\\` before it) just opens a span."""
    runs = [(run.start(), len(run.group())) for run in _BACKTICK_RUN.finditer(block)]
    last_of_length = {length: start for start, length in runs}
    scanned = 0
    for start, length in runs:
        escaped = start > 0 and block[start - 1] == "\\"
        if not escaped and last_of_length[length] > start:
            continue
        for tried in range(1, length + 1):
            if last_of_length.get(tried, -1) <= start:
                scanned += (length - tried + 1) * (len(block) - start)
    return scanned


def hide_backtick_floods(text: str) -> str:
    """`text` with every backtick of a backtick-flooded paragraph hidden: no code span opens there."""
    blocks = backtick_flooded_blocks(text)
    return _hide_at(text, (at for start, end in blocks for at in range(start, end) if text[at] == "`"))


def unclosed_tags(text: str) -> list[int]:
    """Offsets of the `<` (outside code) that start a tag with no `>` before the next one, when
    the parser's scans for the ends of tags would pass TAG_SCAN_PER_TEXT; else none."""
    masked = mask_code(text)
    starts = [found.start() for found in _TAG_START.finditer(masked)]
    scanned, unclosed = 0, []
    for index, at in enumerate(starts):
        end = masked.find(">", at)
        end = len(masked) if end == -1 else end
        scanned += end - at
        next_start = starts[index + 1] if index + 1 < len(starts) else len(masked)
        if end >= next_start:
            unclosed.append(at)
    return unclosed if scanned > TAG_SCAN_PER_TEXT else []


def hide_open_tags(text: str) -> str:
    """`text` with the `<` of its unclosed tags hidden from Markdown when they would stall it."""
    return _hide_at(text, unclosed_tags(text))


def unclosed_fences(text: str) -> list[int]:
    """Offsets of the lines that open a code fence no later line closes, when the search for
    their closing fences would scan past FENCE_SCAN_PER_TEXT; else none."""
    last_close = {found.group(1): found.start() for found in _FENCE_CLOSE.finditer(text)}
    scanned, unclosed = 0, []
    for found in _FENCE_OPEN.finditer(text):
        if last_close.get(found.group(1), -1) <= found.start():
            unclosed.append(found.start())
            scanned += len(text) - found.start()
    return unclosed if scanned > FENCE_SCAN_PER_TEXT else []


def hide_unclosed_fences(text: str) -> str:
    """`text` with the marks of its unclosed code fences hidden when they would stall it."""
    # The whole run of marks: no code span forms of it either.
    return _hide_at(
        text, (at for start in unclosed_fences(text) for at in range(start, _run_end(text, start)))
    )


def _run_end(text: str, start: int) -> int:
    """Where the run of the character at `start` ends."""
    end = start
    while end < len(text) and text[end] == text[start]:
        end += 1
    return end


def _escaped(text: str, at: int) -> bool:
    backslashes = 0
    while at - backslashes > 0 and text[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def bracket_walk(block: str) -> int:
    """About how many characters Python-Markdown's link patterns walk in `block`: from each `[` to
    its matching `]`, and from a `](` to its matching `)`; to the block's end where none matches."""
    closing_bracket = _matches(block, "[", "]")
    closing_paren = _matches(block, "(", ")")
    walked = 0
    for start, end in closing_bracket.items():
        walked += end - start
        if end < len(block) - 1 and block[end + 1] == "(":
            walked += closing_paren[end + 1] - end
    return walked


def _matches(block: str, opener: str, closer: str) -> dict[int, int]:
    """Each unescaped `opener`'s offset -> its matching `closer`'s (the block's length if none)."""
    found: dict[int, int] = {}
    stack: list[int] = []
    for match in _BRACKET_OR_PAREN.finditer(block):
        at, char = match.start(), match.group(0)
        if char == opener and not _escaped(block, at):
            stack.append(at)
        elif char == closer and stack and not _escaped(block, at):
            found[stack.pop()] = at
    found.update((at, len(block)) for at in stack)
    return found


def overindented_lines(text: str) -> list[int]:
    """1-based numbers of the lines whose leading whitespace passes MAX_INDENT_COLUMNS (a tab is
    four columns): nesting that deep exceeds the renderer's recursion limit."""
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if len(lead) + 3 * lead.count("\t") > MAX_INDENT_COLUMNS:
            lines.append(number)
    return lines


def html_too_deep(html_text: str) -> int | None:
    """The offset of the tag that takes the elements open at once past MAX_HTML_DEPTH, or None.

    A start tag opens an element until its end tag; one whose end never comes (`<p>`, `<li>`, which
    a browser closes by itself) counts as open, so the measure errs on the side of refusing. An end
    tag closes only an element of its name (a stray `</div>` closes no `<b>`: html5lib keeps each
    such `<b>` among the formatting elements it searches at every tag)."""
    open_at_once = 0
    open_by_name: dict[str, int] = {}
    for tag in _TAG.finditer(html_text):
        closing, name = tag.group(1), tag.group(2).lower()
        if closing:
            if open_by_name.get(name):
                open_by_name[name] -= 1
                open_at_once -= 1
        elif name not in _VOID and not tag.group(0).endswith("/>"):
            open_by_name[name] = open_by_name.get(name, 0) + 1
            open_at_once += 1
            if open_at_once > MAX_HTML_DEPTH:
                return tag.start()
    return None

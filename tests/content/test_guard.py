"""Markdown that would stall or crash the renderer: rendered quickly, shown as written, and
reported in course files (lms.content.guard)."""

from __future__ import annotations

import html.parser
import shutil
from pathlib import Path

import markdown.blockprocessors
import markdown.extensions.fenced_code
import markdown.extensions.footnotes
import markdown.inlinepatterns
import pytest

from lms.content import guard
from lms.content.guard import (
    FOOTNOTE_REF_STEPS_PER_TEXT,
    MAX_HTML_DEPTH,
    bracket_walk,
    defuse,
    flooded_blocks,
    footnote_ref_floods,
    html_too_deep,
    overindented_lines,
    restore_hidden,
    unclosed_tags,
)
from lms.content.loader import load_tree
from lms.content.render import LinkRef, render_markdown
from lms.content.scan import fill_comments, mask_code, mask_fences, target_offsets
from lms.exercises.services import render_answer

GOOD = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "good"
LESSON = "tiny-course/01-one/01-first.md"


@pytest.fixture
def walked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters Python-Markdown's link patterns walk looking for a closing `]`: the quadratic
    work of issue #798, counted instead of timed."""
    steps: list[int] = []
    original = markdown.inlinepatterns.LinkInlineProcessor.getText

    def counting(self, data: str, index: int):
        text, end, handled = original(self, data, index)
        steps.append(end - index)
        return text, end, handled

    monkeypatch.setattr(markdown.inlinepatterns.LinkInlineProcessor, "getText", counting)
    return steps


def test_a_paragraph_of_unclosed_brackets_is_shown_as_written_without_walking_it(walked) -> None:
    text = "Вступление со [ссылкой](https://example.org).\n\n" + "[" * 3000 + "\n\nИтог [здесь](b.md).\n"
    rendered = render_markdown(text)
    assert "<p>" + "[" * 3000 + "</p>" in rendered.html
    assert 'rel="noopener noreferrer">ссылкой</a>' in rendered.html
    assert '<a href="b.md">здесь</a>' in rendered.html
    assert sum(walked) < 1_000  # 3,000 unclosed brackets walked to the paragraph's end: 4.5 million
    assert rendered.links == [LinkRef("b.md", 5, 14)]  # positions after the flood stay exact


@pytest.mark.parametrize(
    "flood",
    ["[" * 25_000 + "]" * 25_000, "[a](" * 12_500, "![a](" * 10_000, "[](" * 16_000, "[[" * 12_500],
)
def test_a_candidate_s_longest_answer_of_brackets_is_not_walked(walked, flood: str) -> None:
    """Each took Python-Markdown 40 s to 4 min of CPU before; an answer may be 50,000 characters."""
    html = render_answer(flood)
    assert sum(walked) < 1_000
    assert restore_hidden(html).count("[") == flood.count("[")


@pytest.mark.parametrize("opening", ["```\n", "~~~python\n", "`\n"])
def test_a_fence_or_code_span_never_closed_hides_no_flood(walked, searched, opening: str) -> None:
    """Python-Markdown renders what follows a fence no line closes as text, and its block parser
    splits what a code span holds: one ``` before a flood of `[` made the guard see code, and
    Markdown walk 20,000 brackets (54 s of CPU)."""
    brackets = opening + "[" * 20_000
    assert render_answer(brackets) == f"<p>{brackets.strip()}</p>"
    assert sum(walked) < 1_000
    headings = opening + "# a\n" * 10_000 + ("`" if opening == "`\n" else "")  # a span's end
    html = render_answer(headings)
    assert html.count("# a") == 10_000 and "<h1" not in html  # as written (in a code span for `)
    assert sum(searched) < 2 * len(headings)


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [("`\n\n", "\n\n`", True), ("<!--", "", True), ("a <!--\n\n", "", True), ("<!--\n\n", "\n\n-->", False)],
)
def test_a_code_span_or_comment_across_paragraphs_hides_no_flood(
    walked, before: str, after: str, shown: bool
) -> None:
    """Markdown reads spans and comments inside one paragraph, and an unclosed `<!--` as text: the
    guard read either across the whole answer, and 12,000 brackets after it cost 20 s of CPU. (A
    comment that opens a block is one block to its end, and not shown.)"""
    html = render_answer(before + "[" * 12_000 + after)
    assert ("[" * 12_000 in html) is shown
    assert sum(walked) < 1_000


def test_a_code_span_across_lines_keeps_its_paragraph_whole(walked) -> None:
    """Blanked, a span over two lines left a blank line behind: the paragraph looked like two small
    ones, each under the budget, while Markdown walked 2,500 unclosed `![` to its end (17 s)."""
    flood = "![```\n[^1]" * 2500
    render_answer(flood)
    assert sum(walked) < 1_000


class CountingText(str):
    """A text that counts the characters `find` looks through."""

    looked = 0

    def find(self, sub: str, start: int = 0, *args) -> int:  # type: ignore[override]
        found = str.find(self, sub, start, *args)
        CountingText.looked += (len(self) if found == -1 else found) - start
        return found


def test_comments_are_masked_in_one_pass_however_many_never_close() -> None:
    text = "<!-- a --> b <!--c-->" + "_<!--" * 10_000
    CountingText.looked = 0
    assert fill_comments(CountingText(text)) == " " * 10 + " b " + " " * 8 + "_<!--" * 10_000
    assert CountingText.looked < 2 * len(text)  # a lazy regex searched from each: 250 million


@pytest.fixture
def backticks_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Backticks the code-span pattern could start from, each time it looks: its scan for a closing run
    goes to the paragraph's end from each one that never closes, the quadratic work, counted."""
    seen: list[int] = []
    processor = markdown.inlinepatterns.BacktickInlineProcessor
    original_init = processor.__init__

    def counting_init(self, pattern: str) -> None:
        original_init(self, pattern)
        compiled = self.compiled_re

        class Counting:
            def finditer(self, data: str, pos: int = 0):
                seen.append(data.count("`", pos))
                return compiled.finditer(data, pos)

        self.compiled_re = Counting()

    monkeypatch.setattr(processor, "__init__", counting_init)
    return seen


def test_backticks_that_never_close_are_shown_as_written(backticks_seen) -> None:
    """`\\```` lets a span open on its second backtick, with a length no run has (10 s)."""
    flood = "```!$$\\" * 6_000
    html = render_answer(flood)
    assert "<code>" not in html and html.count("```") == 6_000
    assert sum(backticks_seen) == 0  # 18,000 before, each scanning to the end
    assert render_answer("Код `a` и ``b`c`` и ```d```.") == (
        "<p>Код <code>a</code> и <code>b`c</code> и <code>d</code>.</p>"
    )


@pytest.mark.parametrize(
    "flood",
    [
        "    ```\n" + "==[~~\\    ```\n" * 3000,  # the indented line of code shifts every pair of ```
        "<!--\t`\n\n-->[    " * 2000,  # a comment over a blank line joins the paragraphs around it
    ],
)
def test_brackets_markdown_reads_as_one_paragraph_outside_code_are_counted(walked, flood: str) -> None:
    render_answer(flood)
    assert sum(walked) < 1_000


def test_raw_html_open_too_deep_is_shown_as_written_before_markdown_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python-Markdown's HTML reader searched the rest of the paragraph for each open tag at each
    comment: 1,500 `<b>` and `<!-->` took 7 s. Such HTML is shown as written without reading it."""
    import markdown.htmlparser

    calls: list[int] = []
    original = markdown.htmlparser.HTMLExtractor.inline_close_follows

    def counting(self, text: str) -> bool:
        calls.append(len(self.inline_stack))
        return original(self, text)

    monkeypatch.setattr(markdown.htmlparser.HTMLExtractor, "inline_close_follows", counting)
    flood = "---<b>&amp;<!-->===" * 1_500
    assert render_answer(flood) == f"<pre>{html.escape(flood)}</pre>"
    assert calls == []
    assert render_answer("<b>жирный</b> <!-- заметка --> и <i>курсив</i>") == (
        "<p><b>жирный</b>  и <i>курсив</i></p>"
    )


def test_closed_fences_mask_their_lines_and_unclosed_ones_mask_nothing() -> None:
    text = "a\n```\n[x](y)\n```\nb\n~~~~\n```\n~~~\n[z](w)\n"
    assert mask_fences(text) == "a\n   \n      \n   \nb\n~~~~\n```\n~~~\n[z](w)\n"  # ~~~ closes no ~~~~
    assert mask_code("````py\n[x](y)\n```\n") == "````py\n[x](y)\n```\n"  # closed by ```` only
    spans = "`a` <!-- b -->"
    assert mask_code(f"{spans}\n`c\n\nd` <!--\n") == " " * len(spans) + "\n`c\n\nd` <!--\n"


def test_real_links_are_not_flooded() -> None:
    paragraph = " ".join(f"[пункт {n}](../02-two/01-third.md#итоги)" for n in range(300))
    table = "| a | b |\n|---|---|\n" + "".join(f"| [x{n}](a.md) | [y](b.md) |\n" for n in range(500))
    assert flooded_blocks(paragraph) == [] and flooded_blocks(table) == []
    assert defuse(paragraph) == paragraph
    assert bracket_walk("[a](b) [c]") == 3 + 2 + 2
    assert bracket_walk("[[x") == 3 + 2  # unclosed: to the block's end
    assert bracket_walk("`[[[[` \\[") == bracket_walk("`[[[[` \\[")  # code is masked by the caller


def test_brackets_in_code_and_escaped_ones_stay_as_they_are() -> None:
    text = "```\n" + "[" * 30_000 + "\n```\n\n" + "\\[ " + "[" * 30_000
    defused = defuse(text)
    assert defused[:30_010].count("[") == 30_000  # the fence's brackets untouched
    assert defused.endswith("\ufdd0" * 30_000) and "\\[ " in defused
    assert len(defused) == len(text)


def test_an_overlong_character_reference_is_a_replacement_character() -> None:
    """`html.unescape` raised ValueError (int's 4,300-digit limit) out of the renderer."""
    for reference in ("&#" + "9" * 5000 + ";", "&#x" + "F" * 5000 + ";"):
        html = render_markdown(f"До {reference} после\n").html
        # Left for the browser to show, as U+FFFD, by a reference of the same length.
        assert html.startswith("<p>До &#x000") and html.endswith("FFFD; после</p>")
    assert render_markdown("[a](x&#" + "1" * 9000 + ";.md)").links[0].target.startswith("x\ufffd")
    assert len(defuse("&#" + "9" * 50 + ";")) == len("&#" + "9" * 50 + ";")
    short = "&#65; &#x41; &#0000065;"  # references that name a character stay as written
    assert render_markdown(short).html == f"<p>{short}</p>"


def test_nesting_past_the_renderer_s_limit_is_shown_as_written() -> None:
    """500 nested list levels raised RecursionError out of Python-Markdown."""
    deep = "".join("  " * level + "- <b>x</b>\n" for level in range(500))
    assert overindented_lines(deep)[0] == 202  # the first line indented past 400 columns
    assert render_markdown(deep).html == f"<pre>{deep.replace('<', '&lt;').replace('>', '&gt;')}</pre>"
    assert overindented_lines("\t" * 101 + "x") == [1] and overindented_lines("\t" * 100 + "x") == []


def test_lint_refuses_nesting_too_deep_and_warns_of_a_flood(tmp_path: Path) -> None:
    root = Path(shutil.copytree(GOOD, tmp_path / "courses"))
    lesson = root / LESSON
    nested = "".join("  " * level + "- x\n" for level in range(210))
    flood = "Текст " + "[" * 5000
    text = lesson.read_text(encoding="utf-8") + "\n" + nested + "\n" + flood + "\n"
    lesson.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    first_deep = 1 + next(n for n, line in enumerate(lines) if len(line) - len(line.lstrip()) > 400)
    problems = [str(problem) for problem in load_tree(root, display_prefix="").problems]
    assert [p.split(" ")[0:2] for p in problems] == [
        [f"{LESSON}:{first_deep}:1:", "E111"],
        [f"{LESSON}:{lines.index(flood) + 1}:1:", "W103"],
    ]
    assert "(the file's text would be shown as written; 9 such lines)" in problems[0]


def test_elements_open_past_the_limit_are_found_at_their_tag() -> None:
    assert html_too_deep("<div>" * MAX_HTML_DEPTH + "x") is None
    assert html_too_deep("<div>" * (MAX_HTML_DEPTH + 1)) == 5 * MAX_HTML_DEPTH
    assert html_too_deep("<p>x</p>" * 10_000 + "<br><img src=a.png><hr/><x-y/>" * 10_000) is None
    assert html_too_deep('<DIV class="a>b">' * 300 + "</div>" * 300 + "<b>" * 300) is None
    assert html_too_deep("<li>" * 600) == 4 * MAX_HTML_DEPTH  # never closed: counted open
    assert html_too_deep("a < b, 3<4 and <1 " * 10_000) is None  # not tags


@pytest.mark.parametrize("flood", ["x <ul>" * 10_000, "<details>" * 6_000, "<b>" * 16_000])
def test_html_open_thousands_deep_is_shown_as_written(flood: str) -> None:
    """The HTML parser under bleach walks every open element at each tag: 10,000 open <ul> in a
    candidate's answer cost it seconds. Past the limit the text is shown as written instead."""
    escaped = flood.replace("<", "&lt;").replace(">", "&gt;")
    assert render_markdown(flood).html == f"<pre>{escaped}</pre>"
    assert render_answer(flood) == f"<pre>{escaped}</pre>"


def test_the_deepest_list_lint_allows_is_still_a_list() -> None:
    deepest = "".join("    " * level + "- x\n" for level in range(100))  # 396 columns
    assert overindented_lines(deepest) == []
    assert render_markdown(deepest).html.count("<ul>") == 100


def test_lint_refuses_html_open_too_deep_at_the_tag(tmp_path: Path) -> None:
    root = Path(shutil.copytree(GOOD, tmp_path / "courses"))
    lesson = root / LESSON
    text = lesson.read_text(encoding="utf-8") + "\n<section>\n" + "  <div>\n" * 600
    lesson.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    line = lines.index("<section>") + 1 + MAX_HTML_DEPTH  # the 501st open element
    problems = [str(problem) for problem in load_tree(root, display_prefix="").problems]
    assert [p.split(" ")[0:2] for p in problems] == [[f"{LESSON}:{line}:3:", "E112"]]


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters Python-Markdown's heading test searches: each split of a block searches the rest
    again, the quadratic work of a paragraph of headings, counted instead of timed."""
    sizes: list[int] = []
    original = markdown.blockprocessors.HashHeaderProcessor.test

    def counting(self, parent, block: str) -> bool:
        sizes.append(len(block))
        return original(self, parent, block)

    monkeypatch.setattr(markdown.blockprocessors.HashHeaderProcessor, "test", counting)
    return sizes


@pytest.mark.parametrize("line", ["# a", "***", "- - -", "=", "-", "!!! note"])
def test_a_paragraph_of_block_ending_lines_is_shown_as_written(searched, line: str) -> None:
    flood = f"{line}\n" * (50_000 // (len(line) + 1))
    rendered = render_markdown(flood)
    assert rendered.html == f"<p>{flood.strip()}</p>"
    assert sum(searched) < 2 * len(flood)  # 12,500 headings: 300 million characters before


@pytest.mark.parametrize(
    "unit",
    ["*[A]: b\n", "a\n*[A]: b\n", "a\n[a]: b\n", "[^1]: a\n    b\n", "a\n[^1]: b\n", "a\n: b\n", "[a]a\n: b"],
)
def test_a_paragraph_of_definitions_between_lines_is_shown_as_written(searched, unit: str) -> None:
    """Each abbreviation definition, definition-list entry, and link or footnote definition after a
    line of text, is read in a pass of its own that searches the rest again (6,250 `*[A]: b`: 20 s;
    5,000 `[a]a` over `: b`: 6 s)."""
    flood = unit * (50_000 // len(unit))
    html = render_answer(flood)
    assert html == f"<p>{flood.strip()}</p>"
    assert sum(searched) < 2 * len(flood)


@pytest.mark.parametrize("line", ["> # a", "> ---", ">> !!! note", "> *[A]: b"])
def test_a_quote_of_block_ending_lines_is_shown_as_written(searched, line: str) -> None:
    """A quote's text is parsed as a block of its own: its lines split it as a paragraph's do."""
    flood = f"{line}\n" * (50_000 // (len(line) + 1))
    html = render_answer(flood)
    depth = line.count(">")
    text = "\n".join(row.lstrip("> ") for row in flood.strip().split("\n"))
    assert html == "<blockquote>\n" * depth + f"<p>{text}</p>" + "\n</blockquote>" * depth
    assert sum(searched) < (depth + 1) * len(flood)  # once for each level: 300 million before


@pytest.mark.parametrize(
    ("opening", "line"),
    [
        ("!!! note\n", "    # a"),
        ("!!! note\n", "    *[A]: b"),
        ("!!! note\n", "    > # a"),
        ("!!! note\n    !!! tip\n", "        # a"),
        ("!!! note\n", "\t# a"),
        ("x[^1]\n\n[^1]: a\n", "    *[A]: b"),
        ("a\n: b\n", "    # a"),
    ],
)
def test_an_indented_body_of_block_ending_lines_is_shown_as_written(
    searched, opening: str, line: str
) -> None:
    """A callout's, a footnote's or a definition's body is parsed again as blocks once its indent
    is taken off, so its indented lines split it as a paragraph's do (6,000 `    *[A]: b` under
    `!!! note`: 6 s)."""
    flood = opening + f"{line}\n" * ((50_000 - len(opening)) // (len(line) + 1))
    html = render_answer(flood)
    shown = line.strip().removeprefix("> ")
    assert html.count(shown) == flood.count(line)
    assert "<h1" not in html and "<abbr" not in html and 'class="admonition' not in html
    assert sum(searched) < 2 * len(flood)


def test_callouts_footnotes_and_definitions_with_headings_inside_still_work(searched) -> None:
    text = (
        "Термин\n: Определение\n\n    # Внутри определения\n\n"
        "!!! note\n    # Внутри заметки\n    текст\n\n"
        "Код:\n\n    # код, а не заголовок\n\n"
        "Сноска[^1].\n\n[^1]: Начало.\n    *[ЦИК]: Центральная избирательная комиссия\n    ЦИК\n\n"
    ) * 5
    html = render_markdown(text).html
    assert html.count('class="admonition note"') == 5 and html.count("<dl>") == 5
    assert html.count("Внутри заметки</h1>") == 5 and html.count("Внутри определения</h1>") == 5
    assert html.count("<pre><code># код, а не заголовок") == 5
    assert '<abbr title="Центральная избирательная комиссия">ЦИК</abbr>' in html


def test_consecutive_link_definitions_are_read_in_one_pass_and_still_work() -> None:
    """Python-Markdown reads a run of link definitions at once, so a long list of them is no
    flood: its links keep working."""
    text = "".join(f"[ссылка {n}]: https://example.org/{n}\n" for n in range(500))
    html = render_markdown("См. [ссылка 7] и [ссылка 499].\n\n" + text).html
    assert 'href="https://example.org/7"' in html and 'href="https://example.org/499"' in html
    assert "[ссылка 1]:" not in html


def test_definitions_and_quoted_headings_between_paragraphs_still_work(searched) -> None:
    text = (
        "Закон о ЦИК говорит так.\n*[ЦИК]: Центральная избирательная комиссия\n\n"
        "> # Цитата\n> текст\n\nСм. [закон][z] и сноску[^1].\n[z]: https://example.org/z\n\n"
        "[^1]: Сноска.\n    Продолжение.\n\n"
    ) * 5
    html = render_markdown(text).html
    assert html.count('<abbr title="Центральная избирательная комиссия">ЦИК</abbr>') == 5
    assert html.count("<blockquote>\n<h1") == 5
    assert html.count('href="https://example.org/z"') == 5
    assert "Продолжение." in html and "[^1]" not in html and "*[ЦИК]" not in html


def test_headings_rules_and_callouts_between_paragraphs_still_work(searched) -> None:
    text = "Текст\n# Раздел\nещё\n***\n!!! note\n    Заметка\n\nИтог\n---\n" * 20
    html = render_markdown(text).html
    assert html.count("<h1") == 20 and html.count("<hr") == 20 and html.count('class="admonition note"') == 20
    assert html.count("<h2") == 20  # `Итог` over `---`: a setext heading


def test_inline_tags_left_open_past_stray_end_tags_are_shown_as_written() -> None:
    """A stray `</div>` closes no `<b>`: html5lib searched its thousands of open `<b>` at each tag
    (50,000 characters: 2 s). Counted by name, they are too deep and shown as written."""
    flood = "<b>@**</div>" * 4_000
    assert html_too_deep(flood) is not None
    assert render_answer(flood) == f"<pre>{html.escape(flood)}</pre>"
    assert html_too_deep("<div><b>a</b></div>" * 4_000 + "</div>" * 600 + "<i>b</i>") is None


def test_tags_never_closed_are_shown_as_written_without_the_parser_scanning_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scans: list[int] = []
    original = html.parser.HTMLParser.check_for_whole_start_tag

    def counting(self, at: int) -> int:
        scans.append(at)
        return original(self, at)

    monkeypatch.setattr(html.parser.HTMLParser, "check_for_whole_start_tag", counting)
    flood = "<a href=" * 6250
    assert render_markdown(flood).html == "<p>" + "&lt;a href=" * 6250 + "</p>"
    assert render_answer(flood) == "<p>" + "&lt;a href=" * 6250 + "</p>"
    assert len(scans) <= 2  # the two `<p>` around them; 12,500 scans to the text's end before
    assert unclosed_tags("<b>x</b> a < b <i>y</i> " * 5000) == []  # closed tags, a lone `<`
    kept = render_markdown("<b>x</b> и <span>y</span>").html
    assert kept == "<p><b>x</b> и <span>y</span></p>"


@pytest.mark.parametrize("fence", ["```a", "~~~a", "``` a", "````python"])
def test_code_fences_never_closed_are_shown_as_written_without_the_search_scanning_them(
    monkeypatch: pytest.MonkeyPatch, fence: str
) -> None:
    """The fenced-code search scans from each line that may open a fence to its closing fence, to
    the text's end when none comes (10,000 unclosed: 5 s): the lines it is given, counted."""
    openings: list[int] = []
    processor = markdown.extensions.fenced_code.FencedBlockPreprocessor
    original = processor.run

    def counting(self, lines: list[str]) -> list[str]:
        openings.append(sum(line.startswith(("```", "~~~")) for line in lines))
        return original(self, lines)

    monkeypatch.setattr(processor, "run", counting)
    flood = f"{fence}\n" * (50_000 // (len(fence) + 1))
    html = render_answer(flood)
    assert html == f"<p>{flood.strip()}</p>"
    assert openings == [0]  # 10,000 before
    closing = fence[: len(fence) - len(fence.lstrip(fence[0]))]  # the marks alone
    closed = render_markdown(f"{fence}\nкод\n{closing}\n\n" * 3 + f"{fence}\n" * 20).html
    assert closed.count("<pre><code") == 3  # closed fences, and a few open ones, still work


def test_a_link_destination_ends_at_the_next_link_s_start() -> None:
    assert target_offsets("[a](b](c) [d](e)") == {"b": [4], "c": [7], "e": [14]}
    assert target_offsets("](" * 25_000) == {"": list(range(2, 50_001, 2))}


def test_lint_warns_of_block_ending_lines_and_tags_and_fences_never_closed(tmp_path: Path) -> None:
    root = Path(shutil.copytree(GOOD, tmp_path / "courses"))
    lesson = root / LESSON
    headings = "# Раздел\n" * 6000
    tags = "<a href=" * 3000
    fences = "```bash\n" * 1000
    backticks = "\\```!" * 2000
    text = lesson.read_text(encoding="utf-8") + "\n" + headings + "\n" + tags + "\n\n"
    text += backticks + "\n\n" + fences
    lesson.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    problems = [str(problem) for problem in load_tree(root, display_prefix="").problems]
    first = lines.index("# Раздел") + 1
    assert [p.split(" ")[0:2] for p in problems] == [
        [f"{LESSON}:{first}:1:", "W105"],
        [f"{LESSON}:{lines.index(tags) + 1}:1:", "W106"],
        [f"{LESSON}:{lines.index(backticks) + 1}:1:", "W108"],
        [f"{LESSON}:{lines.index('```bash') + 1}:1:", "W107"],
    ]
    assert "has 6000 headings, rules, callouts or definitions" in problems[0]
    assert "3000 HTML tags" in problems[1]
    assert "backticks that never close a code span" in problems[2]
    assert "1000 code fences here and after are never closed" in problems[3]


def test_lint_warns_of_footnotes_referenced_too_often_and_of_definitions_copied_too_far(
    tmp_path: Path,
) -> None:
    root = Path(shutil.copytree(GOOD, tmp_path / "courses"))
    lesson = root / LESSON
    references = "См.[^long] " * 400
    abbreviation = "*[ЦИК]: " + "Центральная избирательная комиссия " * 10
    uses = "ЦИК " * 3000
    text = lesson.read_text(encoding="utf-8") + "\n" + references + "\n\n[^long]: Сноска.\n\n"
    text += abbreviation + "\n\n" + uses + "\n"
    lesson.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    problems = [str(problem) for problem in load_tree(root, display_prefix="").problems]
    assert [p.split(" ")[0:2] for p in problems] == [
        [f"{LESSON}:{lines.index(references) + 1}:{len('См.[^long] ') * 200 + len('См.') + 1}:", "W109"],
        [f"{LESSON}:{lines.index(abbreviation) + 1}:1:", "W110"],
    ]
    assert "200 footnote references here and after repeat a footnote" in problems[0]


@pytest.fixture
def numbering_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Steps Python-Markdown takes numbering repeated footnote references: each repeat looks up
    every number taken before it (a lookup in `used_refs` per step)."""
    steps: list[int] = []

    class CountingSet(set):
        def __contains__(self, item: object) -> bool:
            steps.append(1)
            return super().__contains__(item)

    original = markdown.extensions.footnotes.FootnoteExtension.reset

    def reset(self) -> None:
        original(self)
        self.used_refs = CountingSet()

    monkeypatch.setattr(markdown.extensions.footnotes.FootnoteExtension, "reset", reset)
    return steps


@pytest.mark.parametrize("unit", ["x[^1]\n\n", "[^1]: a\n_a_ ", "[^1]: a\n\t***"])
def test_one_footnote_referenced_thousands_of_times_is_numbered_within_a_budget(
    numbering_steps, unit: str
) -> None:
    """6,000 references to one footnote took 18 s: each repeat counted up from the first."""
    text = "[^1]: Сноска.\n\n" + unit * ((50_000 - 15) // len(unit))
    html = render_answer(text)
    assert sum(numbering_steps) <= FOOTNOTE_REF_STEPS_PER_TEXT + 1_000  # 18 million before
    shown = html.count('class="footnote-ref"')
    assert shown == 200  # the references numbered within the budget: 0 + 1 + ... + 199 steps
    assert html.count("[^1]") >= text.count("[^1]") - shown - 2  # the rest, as written


def test_footnotes_referenced_a_few_times_each_still_work(numbering_steps) -> None:
    text = "".join(f"Текст[^{n}] и снова[^{n}], и ещё[^{n}].\n\n" for n in range(50))
    text += "".join(f"[^{n}]: Сноска {n}.\n" for n in range(50))
    html = render_markdown(text).html
    assert html.count('class="footnote-ref"') == 150 and "[^" not in html
    assert html.count("Сноска 49.") == 1


TITLE = "Центральная избирательная комиссия " * 150


@pytest.mark.parametrize(
    "text",
    [
        f"*[A]: {TITLE}\n\n" + "A " * 20_000,
        f"> *[A]: {TITLE}\n\n" + "A " * 20_000,
        f"[a]: https://example.org/{'a' * 5000}\n\n" + "![a]\n\n" * 7000,
        f'[a]: /x\n    "{TITLE}"\n\n' + "![a]\n\n" * 7000,
        f"[A B]: https://example.org/{'a' * 5000}\n\n" + "![a\nb]\n\n" * 5000,
    ],
)
def test_a_long_title_or_address_used_thousands_of_times_is_shown_as_written(text: str) -> None:
    """Markdown copies an abbreviation's title, a reference's address and title, into every use:
    a 5,000-character title over 20,000 `A` made 100 MB of HTML and took 10 s."""
    html = render_answer(text)
    assert len(html) < 3 * len(text)  # 100 MB before, for the first
    assert "<abbr" not in html and "<img" not in html and html.count("]:") == 1


def test_output_many_times_its_text_is_shown_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies the guard does not foresee are caught by the output's size, before the sanitiser."""
    monkeypatch.setattr(guard, "COPIED_PER_TEXT", 10**12)
    text = f"*[A]: {TITLE}\n\n" + "A " * 2_000
    html = render_answer(text)
    assert html.startswith("<pre>") and html.count("A ") >= 2_000 and "<abbr" not in html


def test_abbreviations_and_reference_links_used_as_written_still_work() -> None:
    text = (
        "*[ЦИК]: Центральная избирательная комиссия Российской Федерации, высший орган системы\n"
        f'[закон]: https://example.org/{"z" * 100} "Федеральный закон об основных гарантиях"\n\n'
        + "ЦИК и [закон]. "
        * 300
    )
    html = render_markdown(text).html
    assert html.count("<abbr") == 300 and html.count(f'href="https://example.org/{"z" * 100}"') == 300


def test_a_toc_marker_is_text() -> None:
    """Each `[TOC]` copied the whole table of contents: 600 headings and markers, 7,800 characters,
    made 11 MB of HTML and took 46 s to clean."""
    html = render_markdown("## Раздел\n\n[TOC]\n\n" * 600).html
    assert html.count("<p>[TOC]</p>") == 600 and 'class="toc"' not in html


def test_definitions_of_two_kinds_or_two_indents_are_two_passes(searched) -> None:
    """A footnote's definition after a link's, or one at another indent, is read in a pass of its
    own: only a run of one kind at one indent is read at once."""
    unit = '!!! tip "t"\n[^2]: c\n    [a]: b'
    flood = unit * (50_000 // len(unit))
    render_answer(flood)
    assert sum(searched) < 2 * len(flood)


class SearchCounted(str):
    """A text that adds up the characters its `find` and `rfind` calls look through."""

    searched = 0

    def find(self, sub, start=0, end=None):  # type: ignore[override]
        found = super().find(sub, start, end)
        SearchCounted.searched += (len(self) if found == -1 else found) - start
        return found

    def rfind(self, sub, start=0, end=None):  # type: ignore[override]
        found = super().rfind(sub, start, end)
        SearchCounted.searched += (len(self) if end is None else end) - max(found, start)
        return found


@pytest.mark.parametrize(
    "text",
    ["===\n" + "[^\n  \n\n`` " * 5000, "[^a " * 12_500, ">" * 20_000 + "[^1]: " * 5000 + "\n\n[^1]: x"],
)
def test_footnote_references_are_found_in_one_pass(text: str) -> None:
    """A `[^` with no `]` after it used to be searched to the text's end from each of thousands of
    them (10,000 such: 1.3 s, and four times that at twice the length)."""
    SearchCounted.searched = 0
    footnote_ref_floods(SearchCounted(text))
    assert SearchCounted.searched <= 2 * len(text)


def test_abbreviation_labels_are_searched_only_outside_split_floods(monkeypatch) -> None:
    """A paragraph of 12,500 `*[a` lines had each label searched to the paragraph's end (14 s); the
    split count shows that paragraph as written, and the search now sees it so."""
    seen: list[str] = []
    pattern = guard._ABBREVIATION

    class Recording:
        def finditer(self, text: str):
            seen.append(text)
            return pattern.finditer(text)

    monkeypatch.setattr(guard, "_ABBREVIATION", Recording())
    text = "*[a\n" * 12_500
    assert guard.copy_floods(text) == []
    assert len(seen) == 1 and seen[0].count("*[") == 0

"""Python-Markdown's table test and html5lib's tree walker, replaced where their cost grew with the
square of a text (lms.content.linear): the same results, without the repeated work."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as etree

import markdown
import markdown.extensions.abbr
import pytest
from bleach import html5lib_shim
from markdown.extensions.tables import TableProcessor

from lms.content.linear import IndexedTreeWalker, _TwoRowTableProcessor
from lms.content.render import render_markdown
from lms.content.sanitize import Cleaner

ROWS = [
    "| a | b |",
    "a | b",
    "|a|",
    "| a",
    "a |",
    "a",
    "|---|---|",
    "---|---",
    "|:-:|",
    "|-|",
    "- a",
    "#",
    "",
]


def processors() -> tuple[TableProcessor, _TwoRowTableProcessor]:
    parser = markdown.Markdown().parser
    return TableProcessor(parser, {"use_align_attribute": True}), _TwoRowTableProcessor(
        parser, {"use_align_attribute": True}
    )


def test_the_table_test_decides_as_python_markdown_s_does() -> None:
    theirs, ours = processors()
    blocks = ["\n".join(rows) for size in (1, 2, 3) for rows in itertools.product(ROWS, repeat=size)]
    assert len(blocks) > 2000
    for block in blocks:
        assert ours.test(None, block) == theirs.test(None, block), repr(block)
        if theirs.test(None, block):
            assert (ours.border, ours.separator) == (theirs.border, theirs.separator), repr(block)


class Counted(str):
    """A block that records how it is split: the whole of it (maxsplit -1) or its first rows."""

    splits: list[int]

    def split(self, sep=None, maxsplit=-1):  # type: ignore[override]
        self.splits.append(maxsplit)
        return super().split(sep, maxsplit)


def test_a_block_that_is_no_table_is_not_split_whole() -> None:
    # Python-Markdown split every block into all its rows each time it asked, and a block of 12,500
    # headings is asked once per heading.
    theirs, ours = processors()
    for processor, whole in ((theirs, True), (ours, False)):
        block = Counted("# a\n" * 1000)
        block.splits = []
        assert processor.test(None, block) is False
        assert (-1 in block.splits) is whole


def tokens(walker_class, html: str) -> list:
    cleaner = Cleaner(filters=[])
    return list(walker_class(cleaner.parser.parseFragment(html)))


@pytest.mark.parametrize(
    "html",
    [
        "<p>a <b>b</b> c<br>d</p><ul><li>1<ul><li>2</li></ul>tail</li><li>3</li></ul>",
        "<table><thead><tr><th>h</th></tr></thead><tbody>"
        + "<tr><td>x</td><td><em>y</em></td></tr>" * 50
        + "</tbody></table>",
        "text only",
        "<div><p>x</p>tail<p>y</p></div>after<!-- c --><img src=a.png alt=b>",
    ],
)
def test_the_walker_walks_as_html5lib_s_does(html: str) -> None:
    assert tokens(IndexedTreeWalker, html) == tokens(html5lib_shim.getTreeWalker("etree"), html)


def test_going_up_needs_no_search_among_siblings() -> None:
    # html5lib's walker finds a parent's place by searching its grandparent's children (and asserts
    # it is there once): with one element twice among them, only a walker that kept places goes on.
    root = etree.Element("DOCUMENT_FRAGMENT")
    shared = etree.SubElement(root, "p")
    etree.SubElement(shared, "b").text = "x"
    root.append(shared)
    walked = [token.get("name") for token in IndexedTreeWalker(root) if token["type"] == "StartTag"]
    assert walked == ["p", "b", "p", "b"]
    with pytest.raises(AssertionError):
        list(html5lib_shim.getTreeWalker("etree")(root))


def test_rendered_tables_and_lists_are_unchanged_in_shape() -> None:
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | **2** |\n\n|x|\n|-|\n|y|\n\na | b\n-\n").html
    assert html.count("<table>") == 2 and '<td align="right"><strong>2</strong></td>' in html
    assert "<h2" in html  # `a | b` over `-` is a heading, not a table: one column against two


ABBREVIATION_PIECES = [
    "ЦИК",
    "ЦИК.",
    "*ЦИК*",
    "**ЦИК и ТИК**",
    "`ЦИК`",
    "[ЦИК](https://example.org)",
    "ЦИКЛ",
    "ТИК",
    "- ЦИК",
    "> ЦИК",
    "<b>ЦИК</b> ЦИК",
    "ЦИК\n\nТИК",
    " ",
    "\n",
    "a",
]
ABBREVIATIONS = "\n\n*[ЦИК]: Центральная избирательная комиссия\n*[ТИК]: Территориальная\n*[Л]:\n"


def test_abbreviations_are_wrapped_as_python_markdown_wraps_them() -> None:
    texts = [
        "".join(pieces)
        for size in (1, 2, 3)
        for pieces in itertools.product(ABBREVIATION_PIECES, repeat=size)
    ]
    assert len(texts) > 3000
    for text in texts:
        theirs = markdown.Markdown(extensions=["abbr"]).convert(text + ABBREVIATIONS)
        ours = markdown.Markdown(extensions=["lms.content.linear:PlacedAbbrExtension"]).convert(
            text + ABBREVIATIONS
        )
        assert ours == theirs, repr(text)


def test_abbreviations_are_found_without_searching_each_element_s_siblings(monkeypatch) -> None:
    """Python-Markdown's walk looked each element up among its siblings (`list(parent).index`):
    12,000 `*a*` in one paragraph took 2.4 s once an abbreviation was defined."""

    def stock_walk(*args, **kwargs):
        raise AssertionError("the stock abbreviation walk searches each element's siblings")

    monkeypatch.setattr(markdown.extensions.abbr.AbbrTreeprocessor, "iter_element", stock_walk)
    html = render_markdown("*[ЦИК]: Центральная избирательная комиссия\n\n" + "*a* ЦИК " * 2000).html
    assert html.count('<abbr title="Центральная избирательная комиссия">ЦИК</abbr>') == 2000

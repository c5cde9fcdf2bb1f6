"""Three parts of Python-Markdown and bleach whose cost grew with the square of a text, replaced.

Each was reachable by a candidate's answer (50,000 characters) and stalled a worker for seconds:

- Python-Markdown's table test split the whole block into rows each time it was asked, and a block
  that other processors take apart line by line (headings, rules, setext underlines: `# a` on
  12,500 lines) is asked once per line. A table is decided by its first two rows; those are read
  here alone (a one-column table's further rows only up to the first that is not one).
- html5lib's tree walker, under bleach, found each element's place by searching its parent's
  children (`list(...).index`): a table of 12,500 rows took 12 s, 7,000 paragraphs with bold text
  4 s. The walker here keeps each ancestor's place on a stack instead.
- Python-Markdown's abbreviations, once any is defined, found each element's place the same way
  (`list(parent).index`) to read its tail: 12,000 `*a*` in one paragraph took 2.4 s, 16,000
  paragraphs 4 s. The place is passed down from the parent's loop here.

Each gives the same output as the original (tests/content/test_linear.py compares them).
"""

from __future__ import annotations

from typing import Any

from bleach import html5lib_shim
from markdown import Markdown
from markdown.extensions.abbr import AbbrExtension, AbbrTreeprocessor
from markdown.extensions.tables import PIPE_LEFT, PIPE_NONE, PIPE_RIGHT, TableExtension, TableProcessor
from markdown.util import AtomicString

_SEPARATOR_CHARS = frozenset("|:- ")


class _TwoRowTableProcessor(TableProcessor):
    """Python-Markdown's table processor, deciding from the first two rows (module docstring)."""

    def test(self, parent: Any, block: str) -> bool:
        rows = block.split("\n", 2)
        if len(rows) < 2:
            return False
        header, separator = rows[0].strip(" "), rows[1].strip(" ")
        border = PIPE_NONE
        if header.startswith("|"):
            border |= PIPE_LEFT
        if self.RE_END_BORDER.search(header) is not None:
            border |= PIPE_RIGHT
        self.border = border  # type: ignore[assignment]  # stubs: bool; Markdown sets an int
        columns = len(self._cells(header))
        if columns < 1 or (columns == 1 and not border):
            return False
        cells = self._cells(separator)
        if len(cells) != columns or not set("".join(cells)) <= _SEPARATOR_CHARS:
            return False
        # One column: every row must show a border, else it is text with a pipe in it.
        if columns == 1 and not all(self._bordered(row.strip(" ")) for row in block.split("\n")[1:]):
            return False
        self.separator = cells  # type: ignore[assignment]  # stubs: str; Markdown sets the cells
        return True

    def _cells(self, row: str) -> list[str]:
        split_row: Any = self._split_row  # type: ignore[attr-defined]  # not in Markdown's stubs
        return split_row(row)

    def _bordered(self, row: str) -> bool:
        return row.startswith("|") or self.RE_END_BORDER.search(row) is not None


class TwoRowTableExtension(TableExtension):
    """The `tables` extension with its processor deciding from the first two rows."""

    def extendMarkdown(self, md: Markdown) -> None:
        super().extendMarkdown(md)
        md.parser.blockprocessors.register(_TwoRowTableProcessor(md.parser, self.getConfigs()), "table", 75)


def makeExtension(**kwargs: Any) -> TwoRowTableExtension:
    return TwoRowTableExtension(**kwargs)


class _PlacedAbbrTreeprocessor(AbbrTreeprocessor):
    """Python-Markdown's abbreviation processor, told each element's place by its parent's loop.

    Children are visited last to first, as the original does, so inserting after a child never
    moves the children still to visit."""

    def iter_element(self, el: Any, parent: Any = None, place: int = 0) -> None:
        for index in range(len(el) - 1, -1, -1):
            self.iter_element(el[index], el, index)
        text = el.text
        if text and not isinstance(text, AtomicString):
            el.text = self._wrap(text, lambda abbr: el.insert(0, abbr))
        tail = el.tail
        if parent is not None and tail and not isinstance(tail, AtomicString):
            el.tail = self._wrap(tail, lambda abbr: parent.insert(place + 1, abbr))

    def _wrap(self, text: str, insert: Any) -> str:
        """`text` up to its first abbreviation; each abbreviation, with the text after it as its
        tail, goes in through `insert`, last first."""
        pattern: Any = self.RE
        for match in reversed(list(pattern.finditer(text))):
            title = self.abbrs[match.group(0)]
            if title:
                insert(self.create_element(title, match.group(0), text[match.end() :]))
                text = text[: match.start()]
        return text


class PlacedAbbrExtension(AbbrExtension):
    """The `abbr` extension with its tree processor linear in the number of siblings."""

    def extendMarkdown(self, md: Markdown) -> None:
        super().extendMarkdown(md)
        abbreviations: dict = self.abbrs  # type: ignore[attr-defined]  # not in Markdown's stubs
        md.treeprocessors.register(_PlacedAbbrTreeprocessor(md, abbreviations), "abbr", 7)


_EtreeWalker: Any = html5lib_shim.getTreeWalker("etree")  # type: ignore[attr-defined]  # not in bleach's stubs


class IndexedTreeWalker(_EtreeWalker):
    """html5lib's etree walker with each ancestor's place among its siblings kept on a stack.

    Nodes are html5lib's tuples (element, its index in its parent, the ancestors, a text flag);
    `_places` runs beside the ancestors: `_places[i]` is the index of `ancestors[i]` in
    `ancestors[i - 1]`, so going up needs no search."""

    def __init__(self, tree: Any) -> None:
        super().__init__(tree)
        self._places: list[int | None] = []

    def getFirstChild(self, node: Any) -> Any:
        if isinstance(node, tuple):
            element, place, ancestors, flag = node
        else:
            element, place, ancestors, flag = node, None, [], None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, place, ancestors, "text"
        return self._descend(element, place, ancestors)

    def getNextSibling(self, node: Any) -> Any:
        if not isinstance(node, tuple):
            return None
        element, place, ancestors, flag = node
        if flag == "text":
            return self._descend(element, place, ancestors)
        if element.tail and flag != "tail":
            return element, place, ancestors, "tail"
        if place < len(ancestors[-1]) - 1:
            return ancestors[-1][place + 1], place + 1, ancestors, None
        return None

    def getParentNode(self, node: Any) -> Any:
        if not isinstance(node, tuple):
            return None
        element, place, ancestors, flag = node
        if flag == "text":
            return element if not ancestors else (element, place, ancestors, None)
        parent = ancestors.pop()
        parent_place = self._places.pop()
        if not ancestors:
            return parent
        return parent, parent_place, ancestors, None

    def _descend(self, element: Any, place: int | None, ancestors: list) -> Any:
        if not len(element):
            return None
        ancestors.append(element)
        self._places.append(place)
        return element[0], 0, ancestors, None

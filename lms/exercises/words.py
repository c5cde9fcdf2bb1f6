"""Counting the words of an answer as a reader would, against the limits an assignment sets.

A word is a run of Unicode letters and digits, joined by inner hyphens or apostrophes
("северо-запад", "д'Артаньян" are one each) and numbers by inner points, commas and colons
("18:00", "3,5"). Markdown marks (list numbers and bullets, task boxes, emphasis) and HTML tags
are not words, a link counts by its text, not its address, and a bare address counts as one
word. static/js/assignment.js counts the same way in the browser; tests/exercises/test_words.py
and the browser test hold both to the same examples.
"""

from __future__ import annotations

import re
import unicodedata

_LINK_TARGET = re.compile(r"\]\([^)]*\)")  # [text](address "title"): the text is read, not the address
_ADDRESS = re.compile(r"<?(?:https?://|mailto:|www\.)[^\s<>]+>?", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # HTML written in the answer is markup, not words
_LIST_MARKER = re.compile(r"^[ \t>]*(?:\d{1,9}[.)]|[-*+])[ \t]+(?:\[[ xX]\][ \t]+)?", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+(?:(?:['’‐-]|(?<=\d)[.,:](?=\d))[^\W_]+)*")


def count_words(text: str) -> int:
    """How many words a person would count in this Markdown text."""
    return len(words_of(text))


def words_of(text: str) -> list[str]:
    """The words of a Markdown text as count_words counts them, in order (to compare two drafts)."""
    text = unicodedata.normalize("NFC", text)
    # Accents left uncomposed (Cyrillic е + U+0301) belong to their letter: drop them.
    text = "".join(char for char in text if not unicodedata.category(char).startswith("M"))
    text = _LIST_MARKER.sub("", text)
    text = _LINK_TARGET.sub("] ", text)
    text = _ADDRESS.sub(" address ", text)
    text = _TAG.sub(" ", text)
    return _WORD.findall(text)


def outside_limits(count: int, limits: dict | None) -> str | None:
    """ "few" or "many" when a count breaks the limits (`{"min": N|None, "max": N|None}`), else None."""
    if not limits:
        return None
    if limits.get("min") is not None and count < limits["min"]:
        return "few"
    if limits.get("max") is not None and count > limits["max"]:
        return "many"
    return None

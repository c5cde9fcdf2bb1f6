"""Comparing what candidates type: text normalised for short answers, numbers in Russian notation."""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from markupsafe import Markup

SHORT_ANSWER_LIMIT = 500
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Spaces people put inside numbers: "3 000", "3 000" (no-break), "3 000" (narrow no-break), "3'000".
_DIGIT_GROUPING = re.compile(r"[\s'’_]")


def _normalise_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = text.replace("ё", "е")
    # Punctuation counts as a space, so "Санкт-Петербург", "санкт петербург" and "ст.56" vs
    # "ст. 56" compare equal; category P covers «»—–…“”„ and the ASCII marks.
    text = "".join(" " if unicodedata.category(char).startswith("P") else char for char in text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=8192)
def normalise_text(text: str) -> str:
    """Casefold, ё→е, NFKC, punctuation as spaces, whitespace collapsed and trimmed.

    Kept per value: every submit of a short answer normalises the question's accepted answers
    again, and a hall of candidates types much the same few answers."""
    result = _normalise_once(text)
    # Dropping punctuation can leave a combining mark next to a letter it now composes with;
    # repeating until nothing changes makes the function idempotent.
    for _ in range(4):
        again = _normalise_once(result)
        if again == result:
            break
        result = again
    return result


def parse_number(text: str) -> float | None:
    """A finite number as people type it: "42", "-3,5", "3 000,25", "+1.5"; None otherwise."""
    cleaned = _DIGIT_GROUPING.sub("", unicodedata.normalize("NFKC", text)).replace("\u2212", "-")
    if "," in cleaned:
        if "." in cleaned or cleaned.count(",") > 1:
            return None  # "1,234.5" or "1,2,3": ambiguous, so not a number
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def plain_text(html: str, limit: int = 90) -> str:
    """Sanitised HTML as one line of plain text, cut at a word boundary near `limit` characters."""
    text = " ".join(Markup(html).striptags().split())  # nosec B704  # only to strip tags: plain text out, escaped where shown
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else text[:limit]
    return cut.rstrip(" ,.;:—–-") + "…"

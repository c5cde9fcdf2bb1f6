"""Ids a GIFT import gives what it writes: quiz and question ids from titles, option letters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

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

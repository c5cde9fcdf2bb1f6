"""Usernames made from full names: transliterated as in Russian passports, unique, deterministic.

The scheme ("Иванов Иван Петрович" -> "ivanov.ip"):

- the first word of the name is the surname (Russian lists put it first: "Фамилия Имя Отчество");
  the initials of the next words (at most three) follow after a dot; "Иванов И. П." gives the same;
- Cyrillic is transliterated by the table of Russian international passports (ICAO Doc 9303, used
  since 2013): ж zh, х kh, ц ts, ч ch, ш sh, щ shch, ъ ie, ы y, ь (nothing), ю iu, я ia, й i, ё e;
  Ukrainian and Belarusian letters likewise (і i, ї i, є ie, ґ g, ў u); accented Latin letters lose
  their accents; anything else is dropped; a hyphen inside a surname stays ("rimskii-korsakov");
- the surname is cut to 60 characters; a name that gives fewer than two characters falls back to the
  part of the email address before the @, then to "user";
- when the username is taken (in the database or by an earlier row of the same file) the first free
  of base2, base3, ... is used. The same file against the same database always gives the same names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

ICAO = {
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
    "й": "i",
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
    "ъ": "ie",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "і": "i",
    "ї": "i",
    "є": "ie",
    "ґ": "g",
    "ў": "u",
}
MAX_SURNAME = 60
MAX_INITIALS = 3
FALLBACK = "user"
_WORDS = re.compile(r"[^\s.,;]+")
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]+")
_EMAIL_NOT_ALLOWED = re.compile(r"[^a-z0-9._-]+")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")  # the same rule as lms.accounts.validation


def transliterate(text: str) -> str:
    """Lower-case ASCII for `text`: Cyrillic by the passport table, accents dropped, the rest kept."""
    out = []
    for char in text.casefold():
        if char in ICAO:
            out.append(ICAO[char])
        elif char.isascii():
            out.append(char)
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out.append("".join(part for part in decomposed if part.isascii()))
    return "".join(out)


def _clean_word(word: str) -> str:
    """Letters, digits and inner hyphens only: "-d'Artagnan-" -> "dartagnan"."""
    word = _NOT_ALLOWED.sub("", transliterate(word))
    return re.sub(r"-{2,}", "-", word).strip("-")


def username_base(full_name: str, email: str | None = None) -> str:
    """The username a person gets before numbering: "Иванов Иван Петрович" -> "ivanov.ip"."""
    words = [_clean_word(word) for word in _WORDS.findall(full_name)]
    words = [word for word in words if word]
    if words:
        surname = words[0][:MAX_SURNAME].strip("-")
        initials = "".join(word[0] for word in words[1:] if word[0].isalnum())[:MAX_INITIALS]
        base = f"{surname}.{initials}" if initials else surname
        if USERNAME_RE.match(base):
            return base
    local = (email or "").split("@", 1)[0]
    local = _EMAIL_NOT_ALLOWED.sub("", transliterate(local))[:MAX_SURNAME].strip("._-")
    if USERNAME_RE.match(local):
        return local
    return FALLBACK


def unique_username(base: str, taken: Container[str]) -> str:
    """`base`, or base2, base3, ... : the first one not in `taken`."""
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"

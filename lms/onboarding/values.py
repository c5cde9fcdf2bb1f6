"""Reading a region or a role the way people type them: codes, Russian or English names, any case."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

ROLES = ("candidate", "instructor", "coordinator", "admin")
ROLE_WORDS = {
    "candidate": "candidate",
    "кандидат": "candidate",
    "instructor": "instructor",
    "teacher": "instructor",
    "преподаватель": "instructor",
    "инструктор": "instructor",
    "coordinator": "coordinator",
    "координатор": "coordinator",
    "admin": "admin",
    "administrator": "admin",
    "администратор": "admin",
}

# Abbreviations people write in region names, expanded before comparing.
_ABBREVIATIONS = {
    "обл": "область",
    "респ": "республика",
    "ао": "автономный округ",
    "авт": "автономный",
    "resp": "republic",
    "obl": "oblast",
    "region": "oblast",
}
# Short names every Russian office uses, which no rule below derives from the official names.
_SHORT_NAMES = {
    "мск": "77",
    "спб": "78",
    "питер": "78",
    "хмао": "86",
    "янао": "89",
    "нао": "83",
    "еао": "79",
    "кбр": "07",
    "кчр": "09",
    "днр": "80",
    "лнр": "81",
}
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"(\d{1,3})(?:[.,]0+)?")
_CODE_AND_NAME = re.compile(r"(\d{1,3})\s*[\s·.:\-—–|]\s*(\S.*)")
_PARTS = re.compile(r"\s+[—–-]\s+|[()]")


def text_key(text: str) -> str:
    """Lower-case words of letters and digits, ё as е, joined by one space."""
    return " ".join(_WORD.findall(text.casefold().replace("ё", "е")))


def region_key(text: str) -> str:
    """A region name's comparable form: abbreviations expanded, the "г."/"город" of a city dropped."""
    words = " ".join(_ABBREVIATIONS.get(word, word) for word in text_key(text).split()).split()
    if len(words) > 1 and words[0] in ("г", "город", "city"):
        words = words[1:]
    return " ".join(words)


def parse_role(text: str) -> str | None:
    """A role's value from its English value or label or its Russian name; None if unknown."""
    return ROLE_WORDS.get(text_key(text))


class RegionIndex:
    """Finds a region's code from what a spreadsheet holds.

    Accepted: the code ("77", "7" for "07", 77.0), the official Russian or English name in any case
    with ё as е ("г. Москва", "Москва", "moscow"), abbreviations ("Московская обл."), the part of a
    name before or after a dash or in brackets ("Кузбасс", "Якутия"), a name without its "Республика"
    ("Татарстан"), a few common short names ("СПб", "ХМАО"), and "77 · г. Москва" as this school's
    own lists print it. A derived name that two regions share is not accepted.
    """

    def __init__(self, regions: Iterable[tuple[str, str, str]]) -> None:
        self.codes: set[str] = set()
        exact: dict[str, str] = {}
        derived: defaultdict[str, set[str]] = defaultdict(set)
        for code, name_ru, name_en in regions:
            self.codes.add(code)
            for name in (name_ru, name_en):
                exact[region_key(name)] = code
                for alias in _derived_names(name):
                    derived[alias].add(code)
        self.names = dict(exact)
        for alias, codes in derived.items():
            if len(codes) == 1 and alias not in self.names:
                self.names[alias] = next(iter(codes))
        for alias, code in _SHORT_NAMES.items():
            if code in self.codes:
                self.names.setdefault(alias, code)

    def find(self, text: str) -> str | None:
        """The region code `text` names, or None."""
        text = text.strip()
        if not text:
            return None
        code = self._code(text)
        if code is not None:
            return code
        match = _CODE_AND_NAME.fullmatch(text)
        if match:
            code = self._code(match.group(1))
            named = self.names.get(region_key(match.group(2)))
            return code if code is not None and named == code else None
        return self.names.get(region_key(text))

    def _code(self, text: str) -> str | None:
        match = _CODE.fullmatch(text)
        if not match:
            return None
        code = f"{int(match.group(1)):02d}"
        return code if code in self.codes else None


def _derived_names(name: str) -> set[str]:
    """Shorter forms of an official name: its dash or bracket parts, without "Республика"."""
    forms = {name, *(part for part in _PARTS.split(name) if part and part.strip())}
    derived = set()
    for form in forms:
        key = region_key(form)
        if not key:
            continue
        derived.add(key)
        for word in ("республика", "republic of", "republic"):
            if key.startswith(word + " ") or key.endswith(" " + word):
                derived.add(key.removeprefix(word + " ").removesuffix(" " + word))
    return derived

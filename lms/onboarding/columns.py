"""Which column of the file holds which field: headings in English or Russian, any order and case."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lms.onboarding.problems import FileRefused

FIELDS = ("full_name", "email", "region", "username", "role", "cohort")
REQUIRED = ("full_name", "email", "region")

# Headings compared by `heading_key`: lower-case, ё as е, letters and digits only, so "Full name",
# "FULL_NAME", "full-name" and " Эл. почта " all find their field.
HEADINGS = {
    "full_name": ("fullname", "фио", "фамилияимяотчество", "полноеимя"),
    "email": ("email", "emailaddress", "mail", "элпочта", "почта", "электроннаяпочта", "адресэлпочты"),
    "region": ("region", "regioncode", "регион", "кодрегиона", "субъект", "субъектрф"),
    "username": ("username", "login", "логин", "имяпользователя"),
    "role": ("role", "роль"),
    "cohort": ("cohort", "group", "группа", "когорта", "учебнаягруппа"),
}
FIELD_BY_KEY = {key: name for name, keys in HEADINGS.items() for key in keys}
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def heading_key(text: str) -> str:
    return _NOT_LETTER_OR_DIGIT.sub("", text.casefold().replace("ё", "е"))


def field_for(heading: str) -> str | None:
    """The field a heading names, or None for a column the import does not know."""
    return FIELD_BY_KEY.get(heading_key(heading))


def recognised_headings(cells: Sequence[str]) -> int:
    """How many cells of a row are headings of distinct fields (finds the header row)."""
    return len({field for field in map(field_for, cells) if field})


@dataclass(frozen=True)
class Columns:
    """Field -> column index, the headings as the file writes them, and the columns ignored."""

    index: dict[str, int]
    headings: tuple[str, ...]
    unknown: tuple[str, ...]

    def heading(self, field: str) -> str:
        """The file's own heading of a field's column ('' when the file has no such column)."""
        position = self.index.get(field)
        return self.headings[position] if position is not None else ""


def map_columns(headings: Sequence[str]) -> Columns:
    """Map a header row; refuse a file that lacks a required column or names a field twice."""
    index: dict[str, int] = {}
    unknown: list[str] = []
    for position, heading in enumerate(headings):
        if not heading:
            continue
        field = field_for(heading)
        if field is None:
            unknown.append(heading)
        elif field in index:
            raise FileRefused("duplicate_column", first=headings[index[field]], second=heading)
        else:
            index[field] = position
    missing = [field for field in REQUIRED if field not in index]
    if missing:
        raise FileRefused("missing_columns", fields=tuple(missing), found=tuple(h for h in headings if h))
    return Columns(index=index, headings=tuple(headings), unknown=tuple(unknown))

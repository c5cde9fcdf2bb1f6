"""Structural changes to a course, each written as drafts: new items, modules and courses from a
starter text, reordering, renaming, moving an item to another module. Ids never change; nothing
touches disk (publish does that).

Every change reads the files' *effective* text (the draft if there is one, else the disk), edits
the front matter line by line (`frontmatter_edit`) and saves it as a draft with the token of what
it read, so a concurrent save is refused, never overwritten. A reorder names the order the author
saw: a double submit or a second tab that already moved something is refused as stale.

This module holds the course's structure as read, the new entries, reorder and rename; the shared
read-edit-save steps live in `structure_texts`, moving an item in `structure_move`. Both are
reached here too, so callers import `structure` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring import starters
from lms.authoring.drafts import create_draft, open_for_edit
from lms.authoring.files import PathRefused, courses_root, resolve
from lms.authoring.frontmatter_edit import FrontMatterEditError, read_list, read_value, set_list, set_scalar
from lms.authoring.models import Draft
from lms.authoring.structure_move import move_item, move_problems
from lms.authoring.structure_texts import (
    COURSE_FILE,
    MODULE_FILE,
    check_module,
    edit,
    effective,
    front,
    listed_modules,
    save,
)
from lms.content.schema import ID_PATTERN
from lms.core.errors import ValidationError
from lms.extensions import db

__all__ = [
    "COURSE_FILE",
    "MAX_TITLE",
    "MODULE_FILE",
    "CourseStructure",
    "Entry",
    "course_structure",
    "known_ids",
    "listed_modules",
    "move",
    "move_item",
    "move_problems",
    "new_course",
    "new_item",
    "new_module",
    "rename",
    "set_order",
    "slug",
]

MAX_TITLE = 200
_NUMBER = re.compile(r"^(\d+)")
_FOLDER = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),  # noqa: SIM905
        strict=True,
    )
)


def slug(text: str, limit: int = 40) -> str:
    """Latin letters, digits and `-` from any title (Russian transliterated): a starting id."""
    out = []
    for char in text.lower():
        if char in _TRANSLIT:
            out.append(_TRANSLIT[char].replace("-", ""))
        elif char.isascii() and char.isalnum():
            out.append(char)
        else:
            out.append("-")
    words = re.sub(r"-+", "-", "".join(out)).strip("-")
    return words[:limit].rstrip("-")


@dataclass
class Entry:
    """A module or an item as the course would be if published now."""

    name: str  # folder name (module) or file name (item)
    rel: str  # the .md file that holds its front matter
    key: str | None  # its id, None when unreadable
    title: str | None
    kind: str = "lesson"
    draft: bool = False
    missing: bool = False  # listed, but there is no such file (nor a draft of one)
    items: list[Entry] = field(default_factory=list)


@dataclass
class CourseStructure:
    """A course's modules and items, in the order its files give."""

    course_dir: str
    rel: str
    key: str | None
    title: str | None
    draft: bool
    modules: list[Entry]
    problem: str | None = None  # the course.md cannot be read line by line


class _Texts:
    """Effective texts of one course: drafts from one query, the rest from disk."""

    def __init__(self, course_dir: str) -> None:
        self.drafts: dict[str, str | None] = {
            d.path: None if d.removed else d.text
            for d in db.session.scalars(sa.select(Draft).where(Draft.course_dir == course_dir))
        }

    def get(self, rel: str) -> str | None:
        if rel in self.drafts:
            return self.drafts[rel]
        try:
            path = resolve(rel)
        except PathRefused:
            return None
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def _names(text: str | None, key: str) -> list[str]:
    if text is None:
        return []
    try:
        return read_list(text, key) or []
    except FrontMatterEditError:
        return []


def course_structure(course_dir: str) -> CourseStructure:
    """The course's modules and items from the effective texts (drafts over disk)."""
    rel = f"{course_dir}/{COURSE_FILE}"
    resolve(rel)
    texts = _Texts(course_dir)
    course_text = texts.get(rel)
    key, title, _kind = front(course_text)
    problem = None
    if course_text is not None:
        try:
            read_list(course_text, "modules")
        except FrontMatterEditError as error:
            problem = str(error)
    modules = []
    for folder in _names(course_text, "modules"):
        module_rel = f"{course_dir}/{folder}/{MODULE_FILE}"
        module_text = texts.get(module_rel)
        m_key, m_title, _ = front(module_text)
        module = Entry(
            folder, module_rel, m_key, m_title, "module", module_rel in texts.drafts, module_text is None
        )
        for name in _names(module_text, "items"):
            item_rel = f"{course_dir}/{folder}/{name}"
            item_text = texts.get(item_rel)
            i_key, i_title, i_kind = front(item_text)
            module.items.append(
                Entry(name, item_rel, i_key, i_title, i_kind, item_rel in texts.drafts, item_text is None)
            )
        modules.append(module)
    return CourseStructure(course_dir, rel, key, title, rel in texts.drafts, modules, problem)


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError("title", _l("Enter a title."), field="title")
    if len(title) > MAX_TITLE:
        raise ValidationError("title", _l("At most %(num)s characters.", num=MAX_TITLE), field="title")
    return title


def known_ids() -> set[str]:
    """Every id in the courses folder and in every draft: they share one namespace (E201)."""
    root = courses_root()
    texts: dict[str, str] = {}
    if root.is_dir():
        for path in root.rglob("*.md"):
            if any(part.startswith(".") for part in path.relative_to(root).parts) or path.is_symlink():
                continue
            texts[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    for rel, text in db.session.execute(sa.select(Draft.path, Draft.text)):
        texts[rel] = text
    ids = set()
    for text in texts.values():
        key, _title, _kind = front(text)
        if key:
            ids.add(key)
    return ids


def _check_key(key: str, taken: set[str], field_name: str = "key") -> str:
    if not ID_PATTERN.match(key):
        message = _l("Use lowercase latin letters, digits and “-”, starting with a letter or digit.")
        raise ValidationError("key", message, field=field_name)
    if key in taken:
        raise ValidationError("key_taken", _l("The id %(id)s is already used.", id=key), field=field_name)
    return key


def _free_key(wanted: str, taken: set[str]) -> str:
    key, number = wanted, 2
    while key in taken:
        key = f"{wanted[:76]}-{number}"
        number += 1
    return key


def _next_name(existing: list[str], stem: str, suffix: str, exists: Callable[[str], bool]) -> str:
    numbers = [int(m.group(1)) for name in existing if (m := _NUMBER.match(name))]
    number = max(numbers, default=0) + 1
    width = max(2, *(len(m.group(1)) for name in existing if (m := _NUMBER.match(name)))) if numbers else 2
    while True:
        name = f"{number:0{width}d}-{stem}{suffix}"
        if name not in existing and not exists(name):
            return name
        number += 1


def _exists(rel: str) -> bool:
    state = open_for_edit(rel)
    return state.source != "new"


def _unchanged(current: list[str], seen: list[str] | None) -> None:
    """A new entry is added to the list the author saw, or not at all: a double submit (or a second
    tab) would otherwise add a second item under a second made-up id."""
    if seen is not None and current != seen:
        raise ValidationError(
            "stale",
            _l("The list changed meanwhile; here is the current one. Add the entry again if it is missing."),
        )


def new_item(
    course_dir: str, module: str, kind: str, title: str, key: str, user: User, seen: list[str] | None = None
) -> str:
    """A new item from its starter text, appended to the module's `items`; returns its path.
    `seen`: the module's items as the author saw them (refused as stale when they changed)."""
    check_module(course_dir, module)
    if kind not in starters.ITEM_KINDS:
        raise ValidationError("kind", _l("Choose a kind of item."), field="kind")
    title = _check_title(title)
    module_rel = f"{course_dir}/{module}/{MODULE_FILE}"
    module_text = effective(module_rel)
    items = edit(lambda: read_list(module_text, "items") or [], module_rel)
    _unchanged(items, seen)
    taken = known_ids()
    key = _check_key(key.strip() or _free_key(slug(title) or kind, taken), taken)
    name = _next_name(items, key[:40].rstrip("-"), ".md", lambda n: _exists(f"{course_dir}/{module}/{n}"))
    rel = f"{course_dir}/{module}/{name}"
    create_draft(rel, starters.item_text(kind, key, title), user)
    save(module_rel, edit(lambda: set_list(module_text, "items", [*items, name]), module_rel), user)
    return rel


def new_module(course_dir: str, title: str, key: str, user: User, seen: list[str] | None = None) -> str:
    """A new module folder (module.md and a first lesson), appended to the course's `modules`;
    `seen` as for `new_item`."""
    title = _check_title(title)
    course_rel = f"{course_dir}/{COURSE_FILE}"
    course_text = effective(course_rel)
    modules = edit(lambda: read_list(course_text, "modules") or [], course_rel)
    _unchanged(modules, seen)
    taken = known_ids()
    key = _check_key(key.strip() or _free_key(slug(title) or "modul", taken), taken)
    stem = key[:40].rstrip("-")
    folder = _next_name(
        modules,
        stem,
        "",
        lambda n: (courses_root() / course_dir / n).exists() or _exists(f"{course_dir}/{n}/{MODULE_FILE}"),
    )
    lesson_key = _free_key(f"{key[:68]}-vvedenie", taken | {key})
    lesson = "01-vvedenie.md"
    create_draft(f"{course_dir}/{folder}/{MODULE_FILE}", starters.module_text(key, title, lesson), user)
    create_draft(
        f"{course_dir}/{folder}/{lesson}", starters.item_text("lesson", lesson_key, "Введение"), user
    )
    save(course_rel, edit(lambda: set_list(course_text, "modules", [*modules, folder]), course_rel), user)
    return f"{course_dir}/{folder}/{MODULE_FILE}"


def new_course(folder: str, title: str, key: str, user: User) -> str:
    """A new course folder: course.md, a first module and its first lesson, all drafts."""
    title = _check_title(title)
    taken = known_ids()
    key = _check_key(key.strip() or _free_key(slug(title) or "kurs", taken), taken)
    folder = folder.strip() or key
    if not _FOLDER.match(folder):
        message = _l("Use lowercase latin letters, digits and “-”, starting with a letter or digit.")
        raise ValidationError("folder", message, field="folder")
    if (courses_root() / folder).exists() or db.session.scalar(
        sa.select(Draft.id).where(Draft.course_dir == folder).limit(1)
    ):
        raise ValidationError(
            "folder_taken", _l("The folder %(name)s already exists.", name=folder), field="folder"
        )
    module_key = _free_key(f"{key[:70]}-modul-1", taken | {key})
    lesson_key = _free_key(f"{key[:68]}-vvedenie", taken | {key, module_key})
    module, lesson = "01-modul", "01-vvedenie.md"
    rel = f"{folder}/{COURSE_FILE}"
    create_draft(rel, starters.course_text(key, title, module), user)
    create_draft(
        f"{folder}/{module}/{MODULE_FILE}", starters.module_text(module_key, "Первый модуль", lesson), user
    )
    create_draft(f"{folder}/{module}/{lesson}", starters.item_text("lesson", lesson_key, "Введение"), user)
    return rel


def _list_file(course_dir: str, module: str | None) -> tuple[str, str]:
    if module:
        return f"{course_dir}/{module}/{MODULE_FILE}", "items"
    return f"{course_dir}/{COURSE_FILE}", "modules"


def set_order(course_dir: str, module: str | None, seen: list[str], order: list[str], user: User) -> None:
    """Write `order` (the same names as now, rearranged) into `items` of `module`, or `modules` of
    the course when `module` is None. `seen` is the order the author saw: if the list is no longer
    that, the change is refused as stale (a double submit, another tab)."""
    if module:
        check_module(course_dir, module)
    rel, key = _list_file(course_dir, module)
    text = effective(rel)
    current = edit(lambda: read_list(text, key) or [], rel)
    if current != seen:
        raise ValidationError("stale", _l("The order changed meanwhile; here is the current one."))
    if sorted(order) != sorted(current):
        raise ValidationError("order", _l("The new order must hold the same entries."))
    if order == current:
        return
    save(rel, edit(lambda: set_list(text, key, order), rel), user)
    record(
        "authoring.reorder",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "key": key, "before": current, "after": order},
    )


def move(
    course_dir: str, module: str | None, name: str, offset: int, seen: list[str], user: User
) -> list[str]:
    """Move one entry up (-1) or down (+1) in its list; returns the new order."""
    if name not in seen or offset not in (-1, 1):
        raise ValidationError("order", _l("The new order must hold the same entries."))
    order = list(seen)
    at = order.index(name)
    to = min(max(at + offset, 0), len(order) - 1)
    order.insert(to, order.pop(at))
    set_order(course_dir, module, seen, order, user)
    return order


def rename(rel: str, title: str, user: User) -> None:
    """Set the `title` of a course, module or item file (its id and file name stay)."""
    title = _check_title(title)
    text = effective(rel)
    old = edit(lambda: read_value(text, "title"), rel)
    if old == title:
        return
    save(rel, edit(lambda: set_scalar(text, "title", title), rel), user)
    record(
        "authoring.rename",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "before": old if isinstance(old, str) else None, "after": title},
    )

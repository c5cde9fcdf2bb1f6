"""Structural changes to a course, each written as drafts: new items, modules and courses from a
starter text, reordering, renaming, moving an item to another module. Ids never change; nothing
touches disk (publish does that).

Every change reads the files' *effective* text (the draft if there is one, else the disk), edits
the front matter line by line (`frontmatter_edit`) and saves it as a draft with the token of what
it read, so a concurrent save is refused, never overwritten. A reorder names the order the author
saw: a double submit or a second tab that already moved something is refused as stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring import starters
from lms.authoring.drafts import EditConflict, create_draft, open_for_edit, remove_file, save_draft
from lms.authoring.files import PathRefused, courses_root, resolve
from lms.authoring.frontmatter_edit import FrontMatterEditError, read_list, read_value, set_list, set_scalar
from lms.authoring.models import Draft
from lms.authoring.services import check_course
from lms.content.problems import Problem
from lms.content.schema import ID_PATTERN
from lms.core.errors import ValidationError
from lms.extensions import db

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
MAX_TITLE = 200
_NUMBER = re.compile(r"^(\d+)")
_FOLDER = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
T = TypeVar("T")

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


def _front(text: str | None) -> tuple[str | None, str | None, str]:
    if text is None:
        return None, None, "lesson"
    try:
        key, title, kind = (read_value(text, name) for name in ("id", "title", "type"))
    except FrontMatterEditError:
        return None, None, "lesson"
    as_text = lambda value: value if isinstance(value, str) else None  # noqa: E731
    # Any `type` the file gives (a survey too); the loader reports one it does not know.
    return as_text(key), as_text(title), kind if isinstance(kind, str) and kind else "lesson"


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
    key, title, _kind = _front(course_text)
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
        m_key, m_title, _ = _front(module_text)
        module = Entry(
            folder, module_rel, m_key, m_title, "module", module_rel in texts.drafts, module_text is None
        )
        for name in _names(module_text, "items"):
            item_rel = f"{course_dir}/{folder}/{name}"
            item_text = texts.get(item_rel)
            i_key, i_title, i_kind = _front(item_text)
            module.items.append(
                Entry(name, item_rel, i_key, i_title, i_kind, item_rel in texts.drafts, item_text is None)
            )
        modules.append(module)
    return CourseStructure(course_dir, rel, key, title, rel in texts.drafts, modules, problem)


def _effective(rel: str) -> str:
    state = open_for_edit(rel)
    if state.source == "new":
        raise ValidationError("missing", _l("The file %(path)s does not exist.", path=rel))
    return state.text


def _save(rel: str, text: str, user: User) -> None:
    """Save `text` as the draft of an existing file, refusing when the file moved underneath."""
    state = open_for_edit(rel)
    if state.disk_changed:
        # The file changed on disk since its draft began: saving over it would hide that change.
        raise EditConflict(rel, text, state.text, state.disk_text)
    save_draft(rel, text, state.token, user)


def _edit(action: Callable[[], T], rel: str) -> T:
    try:
        return action()
    except FrontMatterEditError as error:
        raise ValidationError(
            "front_matter",
            _l(
                "The front matter of %(path)s cannot be changed automatically; fix it in the editor.",
                path=rel,
            ),
        ) from error


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
        key, _title, _kind = _front(text)
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


def listed_modules(course_dir: str) -> list[str]:
    """The course's `modules` as the effective course.md lists them."""
    rel = f"{course_dir}/{COURSE_FILE}"
    text = _effective(rel)
    return _edit(lambda: read_list(text, "modules") or [], rel)


def _check_module(course_dir: str, module: str) -> None:
    if module not in listed_modules(course_dir):
        raise ValidationError("module", _l("The course has no such module."), field="module")


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
    _check_module(course_dir, module)
    if kind not in starters.ITEM_KINDS:
        raise ValidationError("kind", _l("Choose a kind of item."), field="kind")
    title = _check_title(title)
    module_rel = f"{course_dir}/{module}/{MODULE_FILE}"
    module_text = _effective(module_rel)
    items = _edit(lambda: read_list(module_text, "items") or [], module_rel)
    _unchanged(items, seen)
    taken = known_ids()
    key = _check_key(key.strip() or _free_key(slug(title) or kind, taken), taken)
    name = _next_name(items, key[:40].rstrip("-"), ".md", lambda n: _exists(f"{course_dir}/{module}/{n}"))
    rel = f"{course_dir}/{module}/{name}"
    create_draft(rel, starters.item_text(kind, key, title), user)
    _save(module_rel, _edit(lambda: set_list(module_text, "items", [*items, name]), module_rel), user)
    return rel


def new_module(course_dir: str, title: str, key: str, user: User, seen: list[str] | None = None) -> str:
    """A new module folder (module.md and a first lesson), appended to the course's `modules`;
    `seen` as for `new_item`."""
    title = _check_title(title)
    course_rel = f"{course_dir}/{COURSE_FILE}"
    course_text = _effective(course_rel)
    modules = _edit(lambda: read_list(course_text, "modules") or [], course_rel)
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
    _save(course_rel, _edit(lambda: set_list(course_text, "modules", [*modules, folder]), course_rel), user)
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
        _check_module(course_dir, module)
    rel, key = _list_file(course_dir, module)
    text = _effective(rel)
    current = _edit(lambda: read_list(text, key) or [], rel)
    if current != seen:
        raise ValidationError("stale", _l("The order changed meanwhile; here is the current one."))
    if sorted(order) != sorted(current):
        raise ValidationError("order", _l("The new order must hold the same entries."))
    if order == current:
        return
    _save(rel, _edit(lambda: set_list(text, key, order), rel), user)
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
    text = _effective(rel)
    old = _edit(lambda: read_value(text, "title"), rel)
    if old == title:
        return
    _save(rel, _edit(lambda: set_scalar(text, "title", title), rel), user)
    record(
        "authoring.rename",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "before": old if isinstance(old, str) else None, "after": title},
    )


def move_item(course_dir: str, module: str, name: str, target: str, seen: list[str], user: User) -> str:
    """Move item `name` of `module` to the end of module `target`; returns its new path.

    The file keeps its name and its id, so the importer carries the item's row (and everyone's
    progress and attempts on it) over to the new module. Written as drafts: the file's text at
    the new path, a removal draft at the old one, both `items` lists. `seen`: the source module's
    items as the author saw them (refused as stale when they changed).
    """
    _check_module(course_dir, module)
    if target == module:
        raise ValidationError("target", _l("Choose another module than the item's own."), field="target")
    if target not in listed_modules(course_dir):
        raise ValidationError("target", _l("The course has no such module."), field="target")
    module_rel = f"{course_dir}/{module}/{MODULE_FILE}"
    module_text = _effective(module_rel)
    items = _edit(lambda: read_list(module_text, "items") or [], module_rel)
    if items != seen or name not in items:
        raise ValidationError("stale", _l("The order changed meanwhile; here is the current one."))
    if len(items) == 1:
        message = _l("This is the only item of its module, and a module keeps at least one item.")
        raise ValidationError("last", message, field="target")
    target_rel = f"{course_dir}/{target}/{MODULE_FILE}"
    rel, new_rel = f"{course_dir}/{module}/{name}", f"{course_dir}/{target}/{name}"
    try:
        if "/" in name:  # the loader refuses such an entry (E210): nothing to move
            raise PathRefused("not a file name")
        target_text = _effective(target_rel)
        source, there = open_for_edit(rel), open_for_edit(new_rel)
    except PathRefused:  # a list entry lint refuses (`..`, a symlink): fixed in the editor first
        raise ValidationError("missing", _l("The file %(path)s does not exist.", path=rel)) from None
    target_items = _edit(lambda: read_list(target_text, "items") or [], target_rel)
    if source.source == "new" or source.removed:
        raise ValidationError("missing", _l("The file %(path)s does not exist.", path=rel))
    if source.disk_changed:
        raise EditConflict(rel, source.text, source.text, source.disk_text)
    if name in target_items or (there.source != "new" and not there.removed):
        message = _l(
            "The module %(module)s already has a file named %(name)s, so the item cannot move there.",
            module=target,
            name=name,
        )
        raise ValidationError("name_taken", message, field="target")
    if there.removed:  # the item moves back where it was removed from (before a publish)
        save_draft(new_rel, source.text, there.token, user)
    else:
        create_draft(new_rel, source.text, user)
    remove_file(rel, source.token, user)
    _save(
        module_rel,
        _edit(lambda: set_list(module_text, "items", [n for n in items if n != name]), module_rel),
        user,
    )
    _save(target_rel, _edit(lambda: set_list(target_text, "items", [*target_items, name]), target_rel), user)
    key, _title, _kind = _front(source.text)
    record(
        "authoring.move_item",
        actor=user,
        target_type="course_file",
        target_label=new_rel,
        details={"id": key, "from": rel, "to": new_rel, "module": module, "target": target},
    )
    return new_rel


def move_problems(course_dir: str, old_rel: str, new_rel: str) -> list[Problem]:
    """The lint errors a move left: the moved file's own (a link or image relative to its old
    folder) and other files' links to its old path. Publish refuses them; the author fixes them."""
    old_in_course = old_rel.split("/", 1)[1]
    return [
        problem
        for problem in check_course(course_dir).errors
        if problem.path == new_rel or f"{old_in_course} " in problem.message
    ]

"""The effective texts of a course's structure files and the steps every structural change shares:
read a file's text (its draft over the disk), read its front matter, edit it line by line, save it
as a draft with the token of what was read.

A module of its own so that the changes (`structure`, and moving an item in `structure_move`)
share these steps without importing one another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.authoring.drafts import EditConflict, open_for_edit, save_draft
from lms.authoring.frontmatter_edit import FrontMatterEditError, read_list, read_value
from lms.core.errors import ValidationError

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
T = TypeVar("T")


def front(text: str | None) -> tuple[str | None, str | None, str]:
    """The `id`, `title` and `type` of a file's front matter (None: unreadable; `type` defaults to lesson)."""
    if text is None:
        return None, None, "lesson"
    try:
        key, title, kind = (read_value(text, name) for name in ("id", "title", "type"))
    except FrontMatterEditError:
        return None, None, "lesson"
    as_text = lambda value: value if isinstance(value, str) else None  # noqa: E731
    # Any `type` the file gives (a survey too); the loader reports one it does not know.
    return as_text(key), as_text(title), kind if isinstance(kind, str) and kind else "lesson"


def effective(rel: str) -> str:
    """The text of an existing file as an author would see it: its draft, else the disk."""
    state = open_for_edit(rel)
    if state.source == "new":
        raise ValidationError("missing", _l("The file %(path)s does not exist.", path=rel))
    return state.text


def save(rel: str, text: str, user: User) -> None:
    """Save `text` as the draft of an existing file, refusing when the file moved underneath."""
    state = open_for_edit(rel)
    if state.disk_changed:
        # The file changed on disk since its draft began: saving over it would hide that change.
        raise EditConflict(rel, text, state.text, state.disk_text)
    save_draft(rel, text, state.token, user)


def edit(action: Callable[[], T], rel: str) -> T:
    """Run a front-matter edit of `rel`, refusing one the line-by-line editor cannot make."""
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


def listed_modules(course_dir: str) -> list[str]:
    """The course's `modules` as the effective course.md lists them."""
    rel = f"{course_dir}/{COURSE_FILE}"
    text = effective(rel)
    return edit(lambda: read_list(text, "modules") or [], rel)


def check_module(course_dir: str, module: str) -> None:
    """Refuse a module the course does not list."""
    if module not in listed_modules(course_dir):
        raise ValidationError("module", _l("The course has no such module."), field="module")

"""Moving an item to another module of its course, and the lint errors such a move leaves.

A module of its own because a move is more than the list edits of `structure`: the file itself
moves (a draft at the new path, a removal draft at the old one), and the relative links that would
break are rewritten in drafts too (its own, and other files' links to it; `relink` does the text).
`structure` re-exports both functions.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring.drafts import (
    EditConflict,
    course_drafts,
    create_draft,
    open_for_edit,
    remove_file,
    save_draft,
)
from lms.authoring.files import PathRefused, courses_root
from lms.authoring.frontmatter_edit import read_list, set_list
from lms.authoring.relink import relink
from lms.authoring.services import check_course
from lms.authoring.structure_texts import (
    MODULE_FILE,
    check_module,
    edit,
    effective,
    front,
    listed_modules,
    save,
)
from lms.content.problems import Problem
from lms.core.errors import ValidationError


@dataclass(frozen=True)
class MovedItem:
    """Where a moved item now is, and the files whose links the move rewrote (drafts)."""

    rel: str
    relinked: list[str]


def move_item(course_dir: str, module: str, name: str, target: str, seen: list[str], user: User) -> MovedItem:
    """Move item `name` of `module` to the end of module `target`; returns its new path and the
    files whose links were rewritten.

    The file keeps its name and its id, so the importer carries the item's row (and everyone's
    progress and attempts on it) over to the new module. Written as drafts: the file's text at
    the new path (its relative links rewritten for the new folder), a removal draft at the old one,
    both `items` lists, and every other file whose links pointed at the old path. `seen`: the
    source module's items as the author saw them (refused as stale when they changed).
    """
    check_module(course_dir, module)
    if target == module:
        raise ValidationError("target", _l("Choose another module than the item's own."), field="target")
    if target not in listed_modules(course_dir):
        raise ValidationError("target", _l("The course has no such module."), field="target")
    module_rel = f"{course_dir}/{module}/{MODULE_FILE}"
    module_text = effective(module_rel)
    items = edit(lambda: read_list(module_text, "items") or [], module_rel)
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
        target_text = effective(target_rel)
        source, there = open_for_edit(rel), open_for_edit(new_rel)
    except PathRefused:  # a list entry lint refuses (`..`, a symlink): fixed in the editor first
        raise ValidationError("missing", _l("The file %(path)s does not exist.", path=rel)) from None
    target_items = edit(lambda: read_list(target_text, "items") or [], target_rel)
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
    old_in_course, new_in_course = f"{module}/{name}", f"{target}/{name}"
    moves = {old_in_course: new_in_course}
    text = relink(source.text, doc_dir=module, new_doc_dir=target, moves=moves)
    if there.removed:  # the item moves back where it was removed from (before a publish)
        save_draft(new_rel, text, there.token, user)
    else:
        create_draft(new_rel, text, user)
    remove_file(rel, source.token, user)
    save(
        module_rel,
        edit(lambda: set_list(module_text, "items", [n for n in items if n != name]), module_rel),
        user,
    )
    save(target_rel, edit(lambda: set_list(target_text, "items", [*target_items, name]), target_rel), user)
    relinked = [new_rel] if text != source.text else []
    relinked += _relink_others(course_dir, moves, skip={rel, new_rel}, user=user)
    key, _title, _kind = front(source.text)
    record(
        "authoring.move_item",
        actor=user,
        target_type="course_file",
        target_label=new_rel,
        details={
            "id": key,
            "from": rel,
            "to": new_rel,
            "module": module,
            "target": target,
            "relinked": relinked,
        },
    )
    return MovedItem(new_rel, relinked)


def _relink_others(course_dir: str, moves: dict[str, str], *, skip: set[str], user: User) -> list[str]:
    """Point the other Markdown files' links to a moved file at its new path, each changed file
    saved as a draft; returns their paths."""
    changed = []
    for rel in sorted(_course_markdown(course_dir) - skip):
        try:
            state = open_for_edit(rel)
        except PathRefused:  # a symlinked file: the editor never opens it, nor does this
            continue
        if state.source == "new" or state.removed:
            continue
        folder = posixpath.dirname(rel.split("/", 1)[1])
        text = relink(state.text, doc_dir=folder, new_doc_dir=folder, moves=moves)
        if text != state.text:
            save(rel, text, user)
            changed.append(rel)
    return changed


def _course_markdown(course_dir: str) -> set[str]:
    """Every Markdown file of the course, on disk or only in a draft (paths from COURSES_DIR)."""
    root = courses_root()
    folder = root / course_dir
    on_disk = {p.relative_to(root).as_posix() for p in folder.rglob("*.md")} if folder.is_dir() else set()
    return on_disk | {draft.path for draft in course_drafts(course_dir) if not draft.removed}


def move_problems(course_dir: str, old_rel: str, new_rel: str) -> list[Problem]:
    """The lint errors a move left: the moved file's own (a link or image relative to its old
    folder) and other files' links to its old path, where the move could not rewrite them (a
    target written with escapes or entities). Publish refuses them; the author fixes them."""
    old_in_course = old_rel.split("/", 1)[1]
    return [
        problem
        for problem in check_course(course_dir).errors
        if problem.path == new_rel or f"{old_in_course} " in problem.message
    ]

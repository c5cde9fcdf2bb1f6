"""The course structure page under /author: new items, modules and courses from starters, reorder
(buttons that are real form posts; drag and drop posts the same order), rename.

Thin: each view checks the right (instructors and admins by role, then `rights.require_author`
for the course folder: 403), calls one service of `structure` and redirects, or shows the page
again with the refusal on the form (400), or the conflict (409). Every change is a draft.

Lesson images and the scenario graph are routes on the same blueprint, in `image_graph_views`
(imported by create_app, so they register with `bp`).
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.authoring import rights, structure
from lms.authoring.drafts import EditConflict, open_for_edit
from lms.authoring.files import PathRefused, course_of, refuse_overlong_names, resolve
from lms.authoring.structure_forms import (
    MoveForm,
    MoveItemForm,
    NewCourseForm,
    NewItemForm,
    NewModuleForm,
    OrderForm,
    RenameForm,
    joined,
    split,
)
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, role_required
from lms.extensions import db

bp = Blueprint("authoring_structure", __name__, url_prefix="/author")
bp.url_value_preprocessor(refuse_overlong_names)

AUTHORS = (Role.INSTRUCTOR, Role.ADMIN)
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9.-]{0,120}$")


@bp.context_processor
def _helpers() -> dict:
    return {"editor_url": editor_url, "joined": joined}


def editor_url(rel: str) -> str | None:
    """The editor page of a file, when the editor is there (it is another helper's blueprint)."""
    if "authoring.edit" not in current_app.view_functions:
        return None
    return url_for("authoring.edit", rel=rel)


def _course(course_dir: str) -> None:
    """404 for a folder name that is not a plain course folder (or has no course.md, nor a draft
    of one); 403 unless the user may edit it."""
    if "/" in course_dir:
        abort(404)
    rel = f"{course_dir}/{structure.COURSE_FILE}"
    try:
        resolve(rel)
    except PathRefused:
        abort(404)
    rights.require_author(current_user, course_dir)
    if open_for_edit(rel).source == "new":
        abort(404)


def editable_course_of(rel: str) -> str:
    """The course folder of an existing file (a draft or on disk) the user may edit: else 404 or 403.
    Shared with the image and graph routes (`image_graph_views`)."""
    try:
        resolve(rel)
    except PathRefused:
        abort(404)
    course_dir = course_of(rel)
    rights.require_author(current_user, course_dir)
    if open_for_edit(rel).source == "new":
        abort(404)
    return course_dir


def _prefix(value: str | None) -> str:
    if not value or not _PREFIX.match(value):
        abort(400)
    return value


def _structure_url(course_dir: str, anchor: str = "", **args: str) -> str:
    return url_for(".structure", course_dir=course_dir, **args) + (f"#{anchor}" if anchor else "")


def _page(
    course_dir: str, failed: dict | None = None, conflict: EditConflict | None = None, status: int = 200
):
    """The structure page; `failed` maps a form's prefix to the refused form, shown with its errors."""
    failed = failed or {}
    course = structure.course_structure(course_dir)

    def form(cls, prefix: str, **data):
        return failed.get(prefix) or cls(prefix=prefix, formdata=None, **data)

    modules = joined([module.name for module in course.modules])
    forms = {
        "new-module": form(NewModuleForm, "new-module", seen=modules),
        "course-title": form(RenameForm, "course-title", rel=course.rel, title=course.title or ""),
    }
    for module in course.modules:
        items = joined([item.name for item in module.items])
        forms[f"new-{module.name}"] = form(NewItemForm, f"new-{module.name}", seen=items)
        forms[f"m-{module.name}"] = form(
            RenameForm, f"m-{module.name}", rel=module.rel, title=module.title or ""
        )
        others = [(other.name, other.title or other.name) for other in course.modules if other is not module]
        for item in module.items:
            prefix = f"i-{module.name}-{item.name}"
            forms[prefix] = form(RenameForm, prefix, rel=item.rel, title=item.title or "")
            move_prefix = f"mv-{module.name}-{item.name}"
            move_form = forms[move_prefix] = form(
                MoveItemForm, move_prefix, module=module.name, name=item.name, seen=items
            )
            move_form.target.choices = others
            move_form.seen.data = items  # a refused move shown again can be sent again
    # A refused form shown again carries the lists as they are now, so sending it again can work.
    if "new-module" in failed:
        forms["new-module"].seen.data = modules
    for module in course.modules:
        if f"new-{module.name}" in failed:
            forms[f"new-{module.name}"].seen.data = joined([item.name for item in module.items])
    moved = request.args.get("moved", "")
    return render_template(
        "authoring/structure.html",
        course=course,
        forms=forms,
        failed=failed,
        conflict=conflict,
        moved=moved,
        moved_dir=request.args.get("dir", ""),
    ), status


@bp.route("/course/<course_dir>/structure", endpoint="structure")
@role_required(*AUTHORS)
def show(course_dir: str):
    _course(course_dir)
    return _page(course_dir)


def _refused(course_dir: str, prefix: str | None, form, error: Exception):
    db.session.rollback()
    if isinstance(error, EditConflict):
        return _page(course_dir, conflict=error, status=409)
    assert isinstance(error, ValidationError)
    if form is not None:
        apply_to_form(form, error)
        return _page(course_dir, failed={prefix: form}, status=400)
    flash(str(error.message), "error")
    return _page(course_dir, status=400)


@bp.route("/course/<course_dir>/structure/items", methods=["POST"])
@role_required(*AUTHORS)
def new_item(course_dir: str):
    _course(course_dir)
    module = request.args.get("module", "")
    prefix = _prefix(f"new-{module}")
    form = NewItemForm(prefix=prefix)
    if not form.validate_on_submit():
        return _page(course_dir, failed={prefix: form}, status=400)
    try:
        rel = structure.new_item(
            course_dir,
            module,
            form.kind.data,
            form.title.data,
            form.key.data or "",
            current_user,
            seen=split(form.seen.data),
        )
    except (ValidationError, EditConflict) as error:
        return _refused(course_dir, prefix, form, error)
    flash(_("“%(title)s” is added as a draft.", title=" ".join(form.title.data.split())), "success")
    return redirect(editor_url(rel) or _structure_url(course_dir, f"m-{module}"))


@bp.route("/course/<course_dir>/structure/modules", methods=["POST"])
@role_required(*AUTHORS)
def new_module(course_dir: str):
    _course(course_dir)
    form = NewModuleForm(prefix="new-module")
    if not form.validate_on_submit():
        return _page(course_dir, failed={"new-module": form}, status=400)
    try:
        rel = structure.new_module(
            course_dir, form.title.data, form.key.data or "", current_user, seen=split(form.seen.data)
        )
    except (ValidationError, EditConflict) as error:
        return _refused(course_dir, "new-module", form, error)
    flash(_("The module is added as a draft, with a first lesson."), "success")
    return redirect(_structure_url(course_dir, f"m-{rel.split('/')[1]}"))


@bp.route("/course/<course_dir>/structure/move", methods=["POST"])
@role_required(*AUTHORS)
def move(course_dir: str):
    _course(course_dir)
    form = MoveForm()
    direction = request.form.get("direction")
    if not form.validate_on_submit() or direction not in ("up", "down"):
        abort(400)
    module = form.module.data or None
    try:
        structure.move(
            course_dir,
            module,
            form.name.data,
            -1 if direction == "up" else 1,
            split(form.seen.data),
            current_user,
        )
    except (ValidationError, EditConflict) as error:
        return _refused(course_dir, None, None, error)
    flash(_("Moved up.") if direction == "up" else _("Moved down."), "success")
    moved = f"{module}/{form.name.data}" if module else form.name.data
    # No #fragment: a page with a target element skips autofocus (HTML's rule), and the autofocused
    # button is scrolled into view anyway.
    return redirect(_structure_url(course_dir, moved=moved, dir=direction))


@bp.route("/course/<course_dir>/structure/order", methods=["POST"])
@role_required(*AUTHORS)
def order(course_dir: str):
    _course(course_dir)
    form = OrderForm()
    if not form.validate_on_submit():
        abort(400)
    module = form.module.data or None
    try:
        structure.set_order(course_dir, module, split(form.seen.data), split(form.order.data), current_user)
    except (ValidationError, EditConflict) as error:
        return _refused(course_dir, None, None, error)
    flash(_("The new order is saved as a draft."), "success")
    return redirect(_structure_url(course_dir, f"m-{module}" if module else "modules"))


@bp.route("/course/<course_dir>/structure/move-item", methods=["POST"])
@role_required(*AUTHORS)
def move_item(course_dir: str):
    _course(course_dir)
    prefix = _prefix(request.args.get("form"))
    form = MoveItemForm(prefix=prefix)
    if not form.validate_on_submit():
        abort(400)  # the hidden fields are the page's own: only a forged post lacks them
    try:
        moved = structure.move_item(
            course_dir,
            form.module.data,
            form.name.data,
            form.target.data or "",
            split(form.seen.data),
            current_user,
        )
    except (ValidationError, EditConflict) as error:
        if isinstance(error, ValidationError) and error.field is None:
            # Stale or missing: the item may be gone from where its form was, so the page says it.
            return _refused(course_dir, None, None, error)
        return _refused(course_dir, prefix, form, error)
    rel = moved.rel
    target = rel.split("/")[1]
    flash(_("The item is moved to another module in a draft; its id stays."), "success")
    if moved.relinked:
        message = ngettext(
            "Links that the move would have broken are rewritten, in a draft of %(num)s file: %(paths)s.",
            "Links that the move would have broken are rewritten, in drafts of %(num)s files: %(paths)s.",
            len(moved.relinked),
            paths=", ".join(moved.relinked),
        )
        flash(message, "success")
    old_rel = f"{course_dir}/{form.module.data}/{form.name.data}"
    if problems := structure.move_problems(course_dir, old_rel, rel):
        paths = ", ".join(sorted({problem.path for problem in problems}))
        message = ngettext(
            "%(num)s link or image no longer resolves after the move (it was relative to the old "
            "module): fix it in the editor before publishing. Files: %(paths)s.",
            "%(num)s links or images no longer resolve after the move (they were relative to the old "
            "module): fix them in the editor before publishing. Files: %(paths)s.",
            len(problems),
            paths=paths,
        )
        flash(message, "error")
    return redirect(_structure_url(course_dir, f"i-{target}-{form.name.data}"))


@bp.route("/course/<course_dir>/structure/rename", methods=["POST"])
@role_required(*AUTHORS)
def rename(course_dir: str):
    _course(course_dir)
    prefix = _prefix(request.args.get("form"))
    form = RenameForm(prefix=prefix)
    if not form.validate_on_submit():
        return _page(course_dir, failed={prefix: form}, status=400)
    rel = form.rel.data
    if course_of(rel) != course_dir:
        abort(404)
    editable_course_of(rel)
    try:
        structure.rename(rel, form.title.data, current_user)
    except (ValidationError, EditConflict) as error:
        return _refused(course_dir, prefix, form, error)
    flash(_("The title is changed in a draft; the id stays."), "success")
    return redirect(_structure_url(course_dir, "" if prefix == "course-title" else prefix))


@bp.route("/new-course", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_course():
    form = NewCourseForm()
    if form.validate_on_submit():
        try:
            rel = structure.new_course(
                form.folder.data or "", form.title.data, form.key.data or "", current_user
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            flash(
                _("The course is created as drafts: a course file, a first module and a first lesson."),
                "success",
            )
            return redirect(_structure_url(course_of(rel)))
    status = 400 if form.is_submitted() else 200
    return render_template("authoring/new_course.html", form=form), status

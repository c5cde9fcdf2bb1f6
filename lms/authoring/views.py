"""Authoring pages under /author: the course tree, the editor, preview, conflicts and publish.

Thin: each view checks the right (`rights.require_author`, 403 otherwise), calls one service and
renders or redirects. Paths are files relative to COURSES_DIR; one outside it is a 404.
"""

from __future__ import annotations

import difflib

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring import drafts, rights, services
from lms.authoring.candidate import candidate_view, published_item
from lms.authoring.drafts import EditConflict
from lms.authoring.files import PathRefused, course_of, refuse_overlong_names, resolve
from lms.authoring.forms import ActionForm, EditorForm
from lms.authoring.publish import PublishRefused, publish_course
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, role_required
from lms.core.sqlite import writes
from lms.core.transactions import keep_writes
from lms.extensions import db
from lms.quizzes.display import question_for_display
from lms.surveys.format import TEXT_MAX

bp = Blueprint("authoring", __name__, url_prefix="/author")
bp.url_value_preprocessor(refuse_overlong_names)


@bp.context_processor
def _helpers() -> dict:
    # A quiz's questions in the preview, shown as the take page shows them (answer keys stay out);
    # a survey's as its page shows them, whose answer boxes hold at most TEXT_MAX characters.
    return {
        "question_view": lambda question: question_for_display({}, question),
        "survey_text_max": TEXT_MAX,
    }


AUTHORS = (Role.INSTRUCTOR, Role.ADMIN)


def _authorised(rel: str) -> str:
    """The file's course folder, once the path is safe (404) and the user may edit it (403)."""
    try:
        resolve(rel)
    except PathRefused:
        abort(404)
    course_dir = course_of(rel)
    rights.require_author(current_user, course_dir)
    return course_dir


def _authorised_course(course_dir: str) -> None:
    if "/" in course_dir:
        abort(404)
    _authorised(f"{course_dir}/course.md")


@bp.route("/")
@role_required(*AUTHORS)
def index():
    if not rights.may_author_anything(current_user):
        abort(403)
    trees = [services.course_tree(folder) for folder in services.course_folders(current_user)]
    return render_template("authoring/index.html", trees=trees, form=ActionForm())


def _editor(rel: str, course_dir: str, form: EditorForm | None = None, status: int = 200):
    """The editor page; `form` carries a refused save back with its text and errors."""
    state = drafts.open_for_edit(rel)
    if form is None:
        form = EditorForm(formdata=None, text=state.text, token=state.token)
    text = form.text.data if form.text.data is not None else state.text
    checked = services.check_course(course_dir, rel, text)
    return render_template(
        "authoring/editor.html",
        rel=rel,
        course_dir=course_dir,
        state=state,
        form=form,
        action_form=ActionForm(),
        lines=text.split("\n"),
        checked=checked,
        own_problems=services.problems_by_line(checked.problems, rel),
        other_problems=[p for p in checked.problems if p.path != rel],
        published=published_item(rel) is not None,
    ), status


@bp.route("/edit/<path:rel>")
@role_required(*AUTHORS)
def edit(rel: str):
    return _editor(rel, _authorised(rel))


@bp.route("/edit/<path:rel>", methods=["POST"])
@role_required(*AUTHORS)
def save(rel: str):
    course_dir = _authorised(rel)
    form = EditorForm()
    if not form.validate_on_submit():
        return _editor(rel, course_dir, form, 400)
    try:
        drafts.save_draft(rel, form.text.data or "", form.token.data or "", current_user)
    except EditConflict as conflict:
        db.session.rollback()
        return _conflict(conflict, course_dir)
    except ValidationError as error:
        db.session.rollback()
        apply_to_form(form, error)
        return _editor(rel, course_dir, form, 400)
    if request.form.get("action") == "publish":
        return _publish(course_dir, url_for("authoring.edit", rel=rel))
    flash(_("Draft saved. Learners see it once the course is published."), "success")
    return redirect(url_for("authoring.edit", rel=rel))


def _conflict(conflict: EditConflict, course_dir: str):
    """Both versions side by side and their line diff; the form keeps the author's text with the
    current token, so saving it again overwrites knowingly."""
    state = drafts.open_for_edit(conflict.rel)
    form = EditorForm(formdata=None, text=conflict.mine, token=state.token)
    diff = list(
        difflib.unified_diff(
            conflict.theirs.splitlines(),
            conflict.mine.splitlines(),
            fromfile=_("current version"),
            tofile=_("your version"),
            lineterm="",
        )
    )
    return render_template(
        "authoring/conflict.html",
        rel=conflict.rel,
        course_dir=course_dir,
        conflict=conflict,
        form=form,
        diff=diff,
    ), 409


@bp.route("/discard/<path:rel>", methods=["POST"])
@role_required(*AUTHORS)
def discard(rel: str):
    _authorised(rel)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if drafts.discard_draft(rel, current_user):
        flash(_("Draft discarded: the editor shows the published file again."), "success")
    return redirect(url_for("authoring.edit", rel=rel))


@writes(False)  # a POST only to carry the text: it reads, so it takes no write lock
@bp.route("/preview/<path:rel>", methods=["POST"])
@role_required(*AUTHORS)
def preview(rel: str):
    """The live preview and lint list of unsaved text, for the editor's script (CSRF header)."""
    course_dir = _authorised(rel)
    text = request.form.get("text", "")
    if len(text.encode("utf-8")) > drafts.max_file_bytes():
        abort(413)  # the script keeps the last preview and says it could not update it
    checked = services.check_course(course_dir, rel, text)
    own = services.problems_by_line(checked.problems, rel)
    others = [p for p in checked.problems if p.path != rel]
    return jsonify(
        preview=render_template("authoring/_preview.html", item=checked.item, rel=rel),
        problems=render_template(
            "authoring/_problems.html", rel=rel, own_problems=own, other_problems=others
        ),
        errors=len(checked.errors),
    )


@bp.route("/publish/<course_dir>", methods=["POST"])
@role_required(*AUTHORS)
def publish(course_dir: str):
    _authorised_course(course_dir)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return _publish(course_dir, None)


def _publish(course_dir: str, back_url: str | None):
    """Publish the course's saved drafts; a refusal keeps a draft saved in this same request."""
    try:
        publish_course(course_dir, current_user)
    except PublishRefused as refused:
        keep_writes()  # nothing was written but the draft just saved: keep it
        return _refused(course_dir, refused, back_url)
    except EditConflict as conflict:
        keep_writes()
        return _conflict(conflict, course_dir)
    flash(_("The course is published: learners see the new version."), "success")
    return redirect(back_url or url_for("authoring.index"))


def _refused(course_dir: str, refused: PublishRefused, back_url: str | None):
    return render_template(
        "authoring/refused.html",
        course_dir=course_dir,
        problems=refused.problems,
        own_problems=[],
        other_problems=refused.problems,
        back_url=back_url,
    ), 422


@bp.route("/candidate/<path:rel>")
@role_required(*AUTHORS)
def candidate(rel: str):
    """The item as a candidate sees it, from the effective text (or `?published=1`); nothing is
    recorded and every form is disabled."""
    course_dir = _authorised(rel)
    published = request.args.get("published") == "1"
    view = candidate_view(course_dir, rel, published=published)
    if view is None:
        abort(404)
    return render_template("authoring/candidate.html", view=view, rel=rel, published=published)

"""History pages under /author: a file's publishes, the diff of one version against the one
before it, and "restore this version as a new draft" (a draft, never a disk write)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring import history, rights
from lms.authoring.drafts import EditConflict, get_draft
from lms.authoring.files import PathRefused, course_of, read_disk, refuse_overlong_names, resolve
from lms.core.errors import ValidationError
from lms.core.roles import login_required
from lms.extensions import db

bp = Blueprint("authoring_history", __name__, url_prefix="/author")
bp.url_value_preprocessor(refuse_overlong_names)


def _authorised(rel: str) -> None:
    """404 for a path that is no course file; 403 unless the user may author its course."""
    try:
        resolve(rel)
    except PathRefused:
        abort(404)
    rights.require_author(current_user, course_of(rel))


def _version_or_404(file_id: int) -> history.PublicationFile:
    row = history.get_version(file_id)
    if row is None:
        abort(404)
    _authorised(row.path)
    return row


@bp.route("/history/<path:rel>")
@login_required
def file_history(rel: str):
    _authorised(rel)
    versions = history.file_history(rel)
    disk_text, disk_hash = read_disk(rel)
    if not versions and disk_text is None:
        abort(404)
    return render_template(
        "authoring/history.html",
        rel=rel,
        versions=versions,
        disk_hash=disk_hash,
        draft=get_draft(rel),
        token=history.editor_token(rel),
    )


@bp.route("/versions/<int:file_id>")
@login_required
def version_diff(file_id: int):
    row = _version_or_404(file_id)
    versions = history.file_history(row.path)
    position = next(index for index, version in enumerate(versions) if version.row.id == row.id)
    newer = versions[position - 1] if position > 0 else None
    older = versions[position + 1] if position + 1 < len(versions) else None
    old_text = history.previous_text(row)
    return render_template(
        "authoring/history_diff.html",
        version=versions[position],
        newer=newer,
        older=older,
        has_old=old_text is not None,
        lines=history.diff_lines(old_text, row.text),
        token=history.editor_token(row.path),
    )


@bp.route("/versions/<int:file_id>/restore", methods=["POST"])
@login_required
def restore(file_id: int):
    """Make this version the file's draft; a file that moved on since the page was shown gets
    the conflict page with both texts, and nothing is overwritten."""
    row = _version_or_404(file_id)
    try:
        history.restore_as_draft(row, request.form.get("token", ""), current_user)
    except EditConflict as conflict:
        db.session.rollback()
        return (
            render_template(
                "authoring/history_conflict.html",
                row=row,
                conflict=conflict,
                token=history.editor_token(row.path),
            ),
            409,
        )
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("authoring_history.file_history", rel=row.path))
    flash(_("The version is restored as a draft. Check it in the editor, then publish."), "success")
    return redirect(url_for("authoring.edit", rel=row.path))

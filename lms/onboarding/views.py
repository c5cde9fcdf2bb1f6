"""Upload, preview and confirm a file of users."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts.models import Region, UserImport
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, role_label, role_required
from lms.core.sqlite import writes
from lms.core.transactions import start_writing
from lms.core.web import page_arg
from lms.extensions import db
from lms.onboarding import services
from lms.onboarding.forms import UploadForm
from lms.onboarding.messages import describe, field_label
from lms.onboarding.planning import Outcome, Plan, PlannedRow, build_plan
from lms.onboarding.reading import MAX_BYTES, MAX_ROWS

bp = Blueprint("onboarding", __name__, url_prefix="/admin/import")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
PAGE_SIZE = 200
OUTCOME_LABELS = {
    Outcome.ERROR: _l("Error"),
    Outcome.NEW: _l("New account"),
    Outcome.UPDATE: _l("Will update"),
    Outcome.UNCHANGED: _l("Unchanged"),
}
# The preview lists rows with errors first: they are what the person has to act on.
OUTCOME_ORDER = {Outcome.ERROR: 0, Outcome.NEW: 1, Outcome.UPDATE: 1, Outcome.UNCHANGED: 1}


def _current_user():
    return current_user._get_current_object()


def _visible_or_404(import_id: int) -> UserImport:
    user_import = services.visible_import(import_id, _current_user())
    if user_import is None:
        abort(404)
    return user_import


@bp.route("/", methods=["GET", "POST"])
@role_required(*MANAGERS)
@writes(False)
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        content = storage.stream.read(MAX_BYTES + 1)
        # Reading a big file takes a moment: do it before taking SQLite's write lock.
        start_writing()
        try:
            user_import = services.store_upload(
                content,
                storage.filename or "",
                _current_user(),
                strict=form.strict.data,
                invite=form.invite.data,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            return redirect(url_for(".show", import_id=user_import.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "onboarding/upload.html",
        form=form,
        imports=services.recent_imports(_current_user()),
        max_megabytes=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
    ), status


@bp.route("/<int:import_id>")
@role_required(*MANAGERS)
def show(import_id: int):
    """The preview of an open import; the result of a confirmed one."""
    user_import = _visible_or_404(import_id)
    if user_import.status != "previewed":
        return render_template(
            "onboarding/result.html",
            user_import=user_import,
            summary=user_import.summary or {},
            users_page="admin.users" in current_app.view_functions,
        )
    options = user_import.summary or {}
    plan = build_plan(user_import.content, _current_user(), invite=bool(options.get("invite")))
    counts = plan.counts()
    show = request.args.get("show", "all")
    if show not in ("all", *Outcome):
        show = "all"
    rows = sorted(plan.rows, key=lambda row: (OUTCOME_ORDER[row.outcome], row.number))
    if show != "all":
        rows = [row for row in rows if row.outcome == show]
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(page_arg(), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render_template(
        "onboarding/preview.html",
        user_import=user_import,
        plan=plan,
        counts=counts,
        options=options,
        show=show,
        page=page,
        pages=pages,
        filtered_total=len(rows),
        rows=[_display_row(plan, row) for row in shown],
        outcome_labels=OUTCOME_LABELS,
        refused=describe(plan.refused) if plan.refused else None,
        notes=[describe(note) for note in plan.notes],
    )


@bp.route("/<int:import_id>/confirm", methods=["POST"])
@role_required(*MANAGERS)
def confirm(import_id: int):
    user_import = _visible_or_404(import_id)
    try:
        applied = services.confirm_import(user_import, _current_user())
    except services.ImportRefused as refused:
        db.session.rollback()
        if refused.plan.refused is not None:
            flash(describe(refused.plan.refused), "error")
        else:
            flash(
                ngettext(
                    "Nothing was imported: %(num)s row has errors and the import is strict. Fix the file "
                    "and upload it again.",
                    "Nothing was imported: %(num)s rows have errors and the import is strict. Fix the file "
                    "and upload it again.",
                    refused.plan.counts()["error"],
                ),
                "error",
            )
        return redirect(url_for(".show", import_id=import_id))
    except sa.exc.IntegrityError:
        # Another request created one of these accounts at the same moment (PostgreSQL).
        db.session.rollback()
        flash(
            _(
                "Accounts changed while the file was being imported, so nothing was imported. "
                "Check the preview again."
            ),
            "error",
        )
        return redirect(url_for(".show", import_id=import_id))
    if applied is not None:
        flash(_("Import finished."), "success")
    return redirect(url_for(".show", import_id=import_id))


@bp.route("/<int:import_id>/discard", methods=["POST"])
@role_required(*MANAGERS)
def discard(import_id: int):
    user_import = _visible_or_404(import_id)
    if services.discard_import(user_import):
        flash(_("The import was discarded; nothing was written."), "info")
        return redirect(url_for(".upload"))
    return redirect(url_for(".show", import_id=import_id))


def _display_row(plan: Plan, row: PlannedRow) -> dict:
    """A row as the preview table shows it: plain strings, messages in the reader's language."""
    return {
        "number": row.number,
        "outcome": row.outcome.value,
        "full_name": row.full_name or row.cells["full_name"],
        "email": row.email or row.cells["email"],
        "username": row.username or row.cells["username"],
        "username_generated": row.username_generated,
        "region": row.region_code or row.cells["region"],
        "role": role_label(row.role) if row.role else row.cells["role"],
        "cohort": row.cohort.name if row.cohort is not None else row.cells["cohort"],
        "issues": [(plan.column(issue.field), describe(issue.problem)) for issue in row.issues],
        "changes": [
            (
                _change_label(change.field),
                _change_value(change.field, change.old),
                _change_value(change.field, change.new),
            )
            for change in row.changes
        ]
        if row.outcome == Outcome.UPDATE
        else [],
        "notes": [describe(note) for note in row.notes],
    }


def _change_label(field: str) -> str:
    if field == "region_code":
        return field_label("region")
    return field_label(field)


def _change_value(field: str, value: str | None) -> str:
    if value in (None, ""):
        return "—"
    if field == "role":
        return role_label(value)
    if field == "region_code":
        region = db.session.get(Region, value)
        return f"{value} · {region.display_name(str(get_locale()))}" if region else value
    return value

"""The audit log page for admins: browse and filter; nothing here edits or deletes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _

from lms.audit import search
from lms.audit.actions import (
    ACTION_GROUPS,
    ACTIONS,
    DETAIL_LABELS,
    action_label,
    detail_items,
    target_type_label,
    translated,
)
from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.core import formats
from lms.core.downloads import CSV_TYPE, attachment, csv_filename, requested_dialect
from lms.core.export import STANDARD, Column, CountingRows, to_csv
from lms.core.roles import Role, role_required
from lms.core.transactions import start_writing
from lms.core.web import int_arg
from lms.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

USER_PAGE = "admin.user"  # the user administration page, when this build has it


def _page_context() -> dict:
    return {
        "action_label": action_label,
        "detail_items": detail_items,
        "target_type_label": target_type_label,
        "user_page": USER_PAGE if USER_PAGE in current_app.view_functions else None,
    }


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    filters = search.AuditFilters.from_args(request.args)
    page = search.log_page(filters, before=int_arg("before", None), after=int_arg("after", None))
    return render_template(
        "audit/index.html",
        filters=filters,
        page=page,
        groups=ACTION_GROUPS,
        export_limit=formats.number(search.EXPORT_LIMIT),
        **_page_context(),
    )


@bp.route("/<int:event_id>")
@role_required(Role.ADMIN)
def event(event_id: int):
    found = db.session.get(AuditEvent, event_id)
    if found is None:
        abort(404)
    return render_template("audit/event.html", event=found, **_page_context())


def _export_columns() -> list[Column]:
    return [
        Column("id", "ID", "int"),
        Column("at", _("When"), "text"),
        Column("actor", _("Who"), "text"),
        Column("action", _("Action code"), "text"),
        Column("action_label", _("Action"), "text"),
        Column("target_type", _("Target type"), "text"),
        Column("target_id", _("Target ID"), "text"),
        Column("target", _("Target"), "text"),
        Column("address", _("Address"), "text"),
        Column("details", _("Details"), "text"),
    ]


def _export_values(rows: Iterable) -> Iterator[dict]:
    """Rows for the CSV: labels translated and the time zone looked up once, not per event."""
    actions, names, zone = translated(ACTIONS), translated(DETAIL_LABELS), get_timezone()
    for row in rows:
        yield {
            "id": row.id,
            # The reader's own time zone, with its offset, so the file is unambiguous anywhere.
            "at": row.at.astimezone(zone).isoformat(sep=" ", timespec="seconds"),
            "actor": row.actor_name,
            "action": row.action,
            "action_label": actions.get(row.action, row.action),
            "target_type": row.target_type,
            "target_id": row.target_id,
            "target": row.target_label,
            "address": row.address,
            "details": "; ".join(f"{key}: {value}" for key, value in detail_items(row.details, names)),
        }


@bp.route("/export.csv")
@role_required(Role.ADMIN)
def export():
    """The filtered events as CSV (text cells neutralised against formulas), newest first."""
    filters = search.AuditFilters.from_args(request.args)
    dialect = requested_dialect()
    rows = CountingRows(_export_values(search.export_rows(filters)))
    body = to_csv(_export_columns(), rows, dialect)
    # A download is a read, but who took a copy of the log belongs in it: like the lesson-view
    # record, this GET writes, after the file is built, in a transaction of its own on SQLite,
    # committed as the request ends, before the file is sent.
    start_writing()
    fmt = "csv" if dialect is STANDARD else f"csv-{dialect.name}"
    record("export.audit", details={"filters": filters.as_args(), "rows": rows.count, "format": fmt})
    return attachment(body, csv_filename("audit-log", dialect), CSV_TYPE)

"""Seminar pages: "My seminar" for participants (programme, materials, calendar file) and the
management pages of admins and national coordinators. Regional coordinators and instructors read
the programmes in their scope; nobody else learns that a seminar exists (404)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, send_file, url_for
from flask_login import current_user

from lms.core import formats, storage
from lms.core.roles import login_required
from lms.core.time import utcnow
from lms.extensions import db
from lms.seminars import agenda, ics, materials, services
from lms.seminars.models import Seminar, SessionMaterial

bp = Blueprint("seminars", __name__)


def _visible_or_404(key: str) -> Seminar:
    seminar = services.seminar_or_404(key)
    if not services.may_view(current_user, seminar):
        abort(404)
    return seminar


def managed_or_403(key: str) -> Seminar:
    """A seminar the user may change: 404 outside their scope, 403 inside it but read-only."""
    seminar = _visible_or_404(key)
    if not services.may_manage(current_user, seminar):
        abort(403)
    return seminar


# --- participants and readers -----------------------------------------------------------------


@bp.route("/seminars")
@login_required
def index():
    return render_template(
        "seminars/index.html",
        seminars=services.seminars_for(current_user),
        may_manage=services.may_manage(current_user),
    )


@bp.route("/seminars/<key>")
@login_required
def show(key: str):
    seminar = _visible_or_404(key)
    participant = services.is_participant(current_user, seminar)
    zone = agenda.viewer_zone(current_user, seminar)
    noon = datetime.combine(seminar.starts_on, time(12), tzinfo=ZoneInfo(seminar.timezone))
    return render_template(
        "seminars/show.html",
        offset=formats.utc_offset(zone, noon),
        seminar=seminar,
        days=agenda.agenda(seminar, current_user, with_progress=participant, now=utcnow()),
        participant=participant,
        zone=zone,
        may_manage=services.may_manage(current_user, seminar),
    )


@bp.route("/seminars/<key>/calendar.ics")
@login_required
def calendar(key: str):
    seminar = _visible_or_404(key)
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    body = agenda.calendar_file(seminar, public + url_for("seminars.show", key=seminar.key))
    response = current_app.response_class(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{ics.filename(seminar.key)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/seminars/<key>/materials/<int:material_id>")
@login_required
def material(key: str, material_id: int):
    seminar = _visible_or_404(key)
    row = db.session.get(SessionMaterial, material_id)
    if row is None or row.session.seminar_id != seminar.id:
        abort(404)
    try:
        stored = storage.attachments().open(row.storage_key)
    except storage.Missing:
        abort(404)
    response = send_file(  # streams the file object, from the disk or the bucket, and closes it
        stored,
        mimetype=materials.material_type(row),
        as_attachment=True,
        download_name=row.filename,
        max_age=0,
    )
    response.content_length = row.size
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""Attendance pages: the list staff mark on a phone (offline-tolerant with script), the room
screen's QR code, the participant's check-in, and the coordinators' table with its exports."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import segno
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms.accounts.sessions import session_expiry
from lms.audit.services import record
from lms.core.downloads import CSV_TYPE, XLSX_TYPE, attachment, csv_filename, requested_dialect
from lms.core.errors import ValidationError, apply_to_form
from lms.core.export import Column, CountingRows, to_csv, to_xlsx
from lms.core.roles import Role, login_required
from lms.core.time import utcnow
from lms.core.transactions import start_writing
from lms.extensions import db
from lms.progress.visibility import may_see_region, region_scope, selectable_regions
from lms.seminars import attendance as service
from lms.seminars import services as seminars
from lms.seminars.attendance_forms import CheckinForm, MarkForm
from lms.seminars.attendance_models import Attendance
from lms.seminars.attendance_tokens import CheckinProblem, CheckinRefused
from lms.seminars.models import Seminar, SeminarSession

bp = Blueprint("attendance", __name__)

EXPORT_FORMATS = ("csv", "xlsx")
OWNER_HEADER = "X-Attendance-Owner"
UNTIL_HEADER = "X-Attendance-Until"


@bp.app_template_global()
def attendance_summary_for(seminar: Seminar) -> service.AttendanceSummary:
    """The signed-in participant's attendance, for "My seminar" (seminars/show.html)."""
    return service.attendance_summary(seminar, current_user)


@bp.app_template_global()
def may_take_attendance_of(seminar: Seminar) -> bool:
    return service.may_take(current_user, seminar)


def _seminar_for_staff(key: str) -> Seminar:
    seminar = seminars.seminar_or_404(key)
    if not seminars.may_view(current_user, seminar):
        abort(404)
    if not service.may_take(current_user, seminar):
        abort(403)
    return seminar


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


# --- Taking attendance --------------------------------------------------------------------------


def _mark_form(user_id: int, attendance: Attendance | None = None, **kwargs: Any) -> MarkForm:
    form = MarkForm(prefix=f"p{user_id}", **kwargs)
    if attendance is not None and not form.is_submitted():
        form.status.data = attendance.status
        form.note.data = attendance.note
    form.client_id.data = str(uuid.uuid4())
    return form


def _render_take(
    seminar: Seminar, session: SeminarSession, failed: tuple[int, MarkForm] | None = None
) -> str:
    rows = []
    for user, attendance in service.session_marks(current_user, seminar, session):
        if failed is not None and failed[0] == user.id:
            form = failed[1]
        else:
            form = _mark_form(user.id, attendance, formdata=None)
        rows.append((user, attendance, form))
    return render_template(
        "seminars/attendance/take.html",
        seminar=seminar,
        session=session,
        rows=rows,
        labels=service.STATUS_LABELS,
        sources=service.SOURCE_LABELS,
    )


@bp.route("/seminars/<key>/sessions/<session_key>/attendance")
@login_required
def take(key: str, session_key: str) -> ResponseReturnValue:
    seminar = _seminar_for_staff(key)
    session = seminars.session_or_404(seminar, session_key)
    response = current_app.make_response(_render_take(seminar, session))
    # Whose list this is and until when its offline copy may be shown (attendance-sw.js): the
    # worker drops its copies when another user's list or a signed-out answer comes, and shows
    # none after the sign-in would have ended.
    response.headers[OWNER_HEADER] = str(current_user.id)
    until = session_expiry(current_user.current_session_token)
    if until is not None:
        response.headers[UNTIL_HEADER] = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    return response


@bp.route("/seminars/<key>/sessions/<session_key>/attendance/<int:user_id>", methods=["POST"])
@login_required
def mark(key: str, session_key: str, user_id: int) -> ResponseReturnValue:
    """One participant's mark, from the form (redirects back) or the page's queue (JSON)."""
    seminar = _seminar_for_staff(key)
    session = seminars.session_or_404(seminar, session_key)
    participant = service.participant_for(current_user, seminar, user_id)
    if participant is None:
        abort(404)  # not a participant this viewer may mark: not there for them
    form = MarkForm(prefix=f"p{user_id}")
    if form.validate_on_submit():
        try:
            result = service.mark_from_list(
                current_user,
                seminar,
                session,
                participant,
                form.status.data,
                form.note.data or "",
                form.client_id.data or None,
            )
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            attendance = result.attendance
            if _wants_json():
                return jsonify(
                    saved=True,
                    replayed=result.replayed,
                    user_id=user_id,
                    status=attendance.status,
                    client_id=attendance.client_id,
                )
            flash(
                _(
                    "Saved: %(name)s, %(status)s.",
                    name=participant.display_name,
                    status=service.STATUS_LABELS[attendance.status],
                ),
                "success",
            )
            return redirect(url_for(".take", key=key, session_key=session_key, _anchor=f"p-{user_id}"))
    db.session.rollback()
    if _wants_json():
        errors = {name: [str(message) for message in field.errors] for name, field in form._fields.items()}
        return jsonify(saved=False, errors={k: v for k, v in errors.items() if v}), 400
    return _render_take(seminar, session, failed=(user_id, form)), 400


@bp.route("/seminars/attendance-sw.js")
def service_worker() -> ResponseReturnValue:
    """The list's service worker, served under /seminars/ so that it may answer for the list pages
    (a worker controls only the paths below its own address)."""
    response = current_app.send_static_file("js/attendance-sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- QR check-in --------------------------------------------------------------------------------


def _qr_svg(url: str) -> Markup:
    """The code as inline SVG (no image file, nothing from outside; the page's CSP allows it)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=4, border=2, omitsize=True, svgclass="qr-svg", title=_("QR code for check-in")
    )
    # segno's own SVG of a URL this app signed: no user text in it
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # nosec B704


@bp.route("/seminars/<key>/sessions/<session_key>/qr")
@login_required
def qr(key: str, session_key: str) -> ResponseReturnValue:
    """The room screen: this step's code, refreshed by script (attendance-qr.js)."""
    seminar = _seminar_for_staff(key)
    session = seminars.session_or_404(seminar, session_key)
    now = utcnow()
    token, _step = service.current_token(session, now)
    url = url_for(".checkin", key=key, session_key=session_key, token=token, _external=True)
    window = service.session_window(session)
    return render_template(
        "seminars/attendance/qr.html",
        seminar=seminar,
        session=session,
        svg=_qr_svg(url),
        url=url,
        window=window,
        window_problem=window.problem_at(now),
        refresh_seconds=max(service.qr_step_seconds() // 2, 5),
    )


def checkin_messages() -> dict[CheckinProblem | str, str]:
    again = _("Scan the code on the screen again.")
    return {
        CheckinProblem.INVALID: _("This is not a check-in code of this seminar.") + " " + again,
        CheckinProblem.WRONG_SESSION: _("This code belongs to another session.") + " " + again,
        CheckinProblem.EXPIRED: _("This code has expired: it changes every minute.") + " " + again,
        CheckinProblem.EARLY: _("Check-in for this session has not opened yet."),
        CheckinProblem.CLOSED: _("This session is over: check-in is closed."),
        "not_invited": _("You are not on the list of this seminar's participants. Ask the organisers."),
    }


def _checkin_refusal(
    seminar: Seminar, session: SeminarSession, problem: CheckinProblem | str, status: int
) -> ResponseReturnValue:
    return (
        render_template(
            "seminars/attendance/checkin.html",
            seminar=seminar,
            session=session,
            problem=checkin_messages()[problem],
            window=service.session_window(session),
            form=None,
            mine=None,
        ),
        status,
    )


@bp.route("/seminars/<key>/sessions/<session_key>/check-in/<token>", methods=["GET", "POST"])
@login_required
def checkin(key: str, session_key: str, token: str) -> ResponseReturnValue:
    """GET shows the session and a "Check in" button; the POST records the arrival."""
    seminar = seminars.seminar_or_404(key)
    session = seminars.session_or_404(seminar, session_key)
    try:
        service.verify_token(session, token)
    except CheckinRefused as refused:
        code = 404 if refused.problem in (CheckinProblem.INVALID, CheckinProblem.WRONG_SESSION) else 403
        if code == 404 and not seminars.may_view(current_user, seminar):
            abort(404)  # no code from this session's screen: its titles only for those who see it
        return _checkin_refusal(seminar, session, refused.problem, code)
    if not seminars.is_participant(current_user, seminar):
        return _checkin_refusal(seminar, session, "not_invited", 403)
    form = CheckinForm()
    if form.validate_on_submit():
        result = service.check_in(session, current_user)
        status = service.STATUS_LABELS[result.attendance.status]
        if result.replayed:
            flash(_("You are already checked in (%(status)s).", status=status), "success")
        else:
            flash(_("You are checked in: %(status)s.", status=status), "success")
        return redirect(url_for("seminars.show", key=key))
    mine = service.own_mark(session, current_user)
    return render_template(
        "seminars/attendance/checkin.html",
        seminar=seminar,
        session=session,
        problem=None,
        window=service.session_window(session),
        form=form,
        mine=mine,
        labels=service.STATUS_LABELS,
    )


# --- Coordinators' table and exports ------------------------------------------------------------


def _report_scope(seminar: Seminar) -> tuple[str | None, bool]:
    """(region, by_region): the region the page is limited to and whether the viewer sees the
    region table and exports (coordinators and admins; instructors see the sessions' counts)."""
    if current_user.role not in (Role.COORDINATOR, Role.ADMIN):
        return None, False
    requested = request.args.get("region") or None
    if requested is not None and not may_see_region(current_user, requested):
        abort(404)
    return service.report_region(current_user, requested), True


@bp.route("/seminars/<key>/attendance")
@login_required
def report(key: str) -> ResponseReturnValue:
    seminar = _seminar_for_staff(key)
    region, by_region = _report_scope(seminar)
    report = service.attendance_report(current_user, seminar, region)
    # The region filter: for those who see every region (a regional coordinator sees their own).
    regions = selectable_regions(current_user) if by_region and region_scope(current_user) is None else []
    return render_template(
        "seminars/attendance/report.html",
        seminar=seminar,
        report=report,
        region=region,
        by_region=by_region,
        regions=regions,
        labels=service.STATUS_LABELS,
        shares=service.participant_shares(current_user, seminar, region) if by_region else [],
        required=service.required_percent(seminar),
    )


def export_columns() -> list[Column]:
    return [
        Column("full_name", _("Full name")),
        Column("username", _("Username")),
        Column("region", _("Region")),
        Column("day", _("Day"), "int"),
        Column("session", _("Seminar session")),
        Column("starts_at", _("Starts"), "datetime"),
        Column("status", _("Attendance")),
        Column("source", _("Marked by")),
        Column("marked_at", _("Marked at"), "datetime"),
        Column("note", _("Note")),
    ]


def _export_values(rows: Iterable[Any]) -> Iterator[dict[str, object]]:
    labels = {key: str(label) for key, label in service.STATUS_LABELS.items()}
    sources = {key: str(label) for key, label in service.SOURCE_LABELS.items()}
    for user, session, attendance in rows:
        yield {
            "full_name": user.full_name,
            "username": user.username,
            "region": user.region_code or "",
            "day": session.day,
            "session": session.title,
            "starts_at": session.starts_at,
            "status": labels[attendance.status] if attendance else "",
            "source": sources.get(attendance.source, attendance.source) if attendance else "",
            "marked_at": attendance.marked_at if attendance else None,
            "note": attendance.note if attendance else "",
        }


@bp.route("/seminars/<key>/attendance.<fmt>")
@login_required
def export(key: str, fmt: str) -> ResponseReturnValue:
    """The table's rows in full (participant × session), formula-safe; recorded in the audit log."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    seminar = _seminar_for_staff(key)
    region, by_region = _report_scope(seminar)
    if not by_region:
        abort(403)
    rows = CountingRows(_export_values(service.export_rows(current_user, seminar, region)))
    name = f"attendance-{seminar.key}" + (f"-{region}" if region else "")
    if fmt == "csv":
        dialect = requested_dialect()
        response = attachment(to_csv(export_columns(), rows, dialect), csv_filename(name, dialect), CSV_TYPE)
        fmt = "csv" if dialect.name == "standard" else f"csv-{dialect.name}"
    else:
        response = attachment(to_xlsx(export_columns(), rows), f"{name}.xlsx", XLSX_TYPE)
    start_writing()
    record(
        "export.attendance",
        target=seminar,
        details={"format": fmt, "region": region, "rows": rows.count},
    )
    return response

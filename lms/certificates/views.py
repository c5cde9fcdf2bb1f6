"""Certificates: the candidate's download, the public verification page, the coordinators' list
and export, and the admins' revocation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.audit.services import client_address, record
from lms.certificates import services
from lms.certificates.forms import RevokeForm
from lms.certificates.models import Certificate
from lms.certificates.pdf import certificate_pdf
from lms.core.errors import ValidationError
from lms.core.export import Column, CountingRows, to_csv
from lms.core.roles import Role, login_required, role_required
from lms.core.transactions import keep_writes, start_writing
from lms.extensions import db
from lms.progress.rollups import school_today

bp = Blueprint("certificates", __name__)


@bp.app_context_processor
def _completions_for_templates() -> dict:
    """`my_completions()` for the candidate's home: course id -> completion with its certificate."""

    def my_completions() -> dict:
        if not current_user.is_authenticated:
            return {}
        return services.user_completions(current_user)

    return {"my_completions": my_completions}


def verify_url(code: str) -> str:
    """The address printed on the certificate: the school's own, never the request's Host."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("certificates.verify_code", code=code)


@bp.route("/certificates/<code>.pdf")
@login_required
def download(code: str):
    certificate = services.certificate_by_code(code)
    if certificate is None or not services.may_download(current_user, certificate):
        abort(404)
    response = Response(
        certificate_pdf(certificate, verify_url(certificate.code)), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/verify")
def verify():
    """The look-up form; `?code=` (a GET form: a look-up changes nothing) shows the answer."""
    code = request.args.get("code", "").strip()
    if not code:
        return render_template("certificates/verify.html", code="", certificate=None)
    return _answer(code)


@bp.route("/verify/<code>")
def verify_code(code: str):
    return _answer(code.strip())


def _answer(code: str):
    # The look-up counter is this page's one write (like a lesson page's visit): in a write
    # transaction of its own, kept even when the answer is 404 or 429, or guesses would be free.
    start_writing()
    keep_writes()
    if not services.lookup_allowed(client_address()):
        return render_template("certificates/verify_limited.html"), 429
    certificate = services.certificate_by_code(code)
    if certificate is None:
        return render_template("certificates/verify.html", code=code, certificate=None, not_found=True), 404
    return render_template("certificates/verify.html", code=code, certificate=certificate)


def _list_query():
    return services.visible_certificates(current_user)


@bp.route("/dashboard/certificates")
@role_required(Role.ADMIN, Role.COORDINATOR)
def issued():
    certificates = db.session.scalars(_list_query().options(sa.orm.selectinload(Certificate.course))).all()
    return render_template(
        "certificates/issued.html",
        certificates=certificates,
    )


@bp.route("/dashboard/certificates.csv")
@role_required(Role.ADMIN, Role.COORDINATOR)
def export():
    columns = [
        Column("code", _("Verification code")),
        Column("full_name", _("Full name")),
        Column("username", _("Username")),
        Column("region", _("Region")),
        Column("course", _("Course")),
        Column("completed_on", _("Completed on"), "date"),
        Column("hours", _("Hours"), "float"),
        Column("revoked_on", _("Revoked on"), "date"),
        Column("revoked_reason", _("Reason for revocation")),
    ]
    rows = CountingRows(
        {
            "code": certificate.code,
            "full_name": certificate.full_name,
            "username": certificate.user.username,
            "region": certificate.user.region_code or "",
            "course": certificate.course_title,
            "completed_on": school_today(certificate.completed_on),
            "hours": certificate.hours,
            "revoked_on": school_today(certificate.revoked_at) if certificate.revoked_at else None,
            "revoked_reason": certificate.revoked_reason,
        }
        for certificate in db.session.scalars(_list_query())
    )
    body = to_csv(columns, rows)
    start_writing()
    record(
        "export.certificates",
        target_type="region" if current_user.region_code and current_user.role == Role.COORDINATOR else None,
        target_id=current_user.region_code if current_user.role == Role.COORDINATOR else None,
        details={"rows": rows.count},
    )
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="certificates.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def revoke(certificate_id: int):
    """A page of its own per certificate: the reason is typed with the certificate in view."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke(certificate, current_user, form.reason.data or "")
        except ValidationError as error:
            db.session.rollback()
            form.reason.errors = [error.message]
        else:
            flash(_("Certificate revoked."), "success")
            return redirect(url_for("certificates.issued"))
    return render_template("certificates/revoke.html", certificate=certificate, form=form)

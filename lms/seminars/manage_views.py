"""The management pages of a seminar (admins and national coordinators): the seminar, its
invitations, sessions, linked items and materials. Routes on the seminars blueprint, imported by
`create_app` next to it; every action is audited by lms.seminars.manage."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.accounts.models import Region
from lms.accounts.services import RUSSIAN_TIMEZONES
from lms.accounts.views import TIMEZONE_NAMES
from lms.core import formats
from lms.core.errors import ValidationError, apply_to_form
from lms.core.i18n import select_locale
from lms.core.roles import login_required
from lms.extensions import db
from lms.progress.models import Cohort
from lms.seminars import agenda, links, manage, materials, services
from lms.seminars.forms import (
    ConfirmForm,
    InviteForm,
    LinkForm,
    MaterialForm,
    NewSeminarForm,
    SeminarForm,
    SessionForm,
)
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession, SessionLink, SessionMaterial
from lms.seminars.views import bp, managed_or_403


def _require_manager() -> None:
    if not services.may_manage(current_user):
        abort(403)


def _zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    zones = list(RUSSIAN_TIMEZONES)
    if current and current not in zones:
        zones.append(current)
    return [(zone, f"{TIMEZONE_NAMES[zone]} ({zone})" if zone in TIMEZONE_NAMES else zone) for zone in zones]


@bp.route("/seminars/new", methods=["GET", "POST"])
@login_required
def new():
    _require_manager()
    form = NewSeminarForm()
    form.timezone.choices = _zone_choices()
    if request.method == "GET":
        form.timezone.data = "Europe/Moscow"
    if form.validate_on_submit():
        try:
            seminar = manage.create_seminar(
                key=form.key.data,
                title=form.title.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                venue=form.venue.data or "",
                online_url=form.online_url.data,
                timezone=form.timezone.data,
                summary_md=form.summary_md.data or "",
            )
            flash(_("Seminar created. Now add its sessions and invite participants."), "success")
            return redirect(url_for("seminars.manage_page", key=seminar.key))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    status = 400 if request.method == "POST" else 200
    return render_template("seminars/seminar_form.html", form=form, seminar=None), status


@bp.route("/seminars/<key>/edit", methods=["GET", "POST"])
@login_required
def edit(key: str):
    seminar = managed_or_403(key)
    form = SeminarForm(obj=seminar)
    form.timezone.choices = _zone_choices(seminar.timezone)
    if form.validate_on_submit():
        try:
            changed = manage.update_seminar(
                seminar,
                title=form.title.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                venue=form.venue.data or "",
                online_url=form.online_url.data,
                timezone=form.timezone.data,
                summary_md=form.summary_md.data or "",
            )
            flash(_("Seminar saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("seminars.manage_page", key=seminar.key))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    status = 400 if request.method == "POST" else 200
    return render_template("seminars/seminar_form.html", form=form, seminar=seminar), status


def _invite_choices() -> list[SelectChoice]:
    lang = select_locale()
    regions = db.session.scalars(sa.select(Region).order_by(Region.code))
    cohorts = db.session.scalars(sa.select(Cohort).where(Cohort.archived_at.is_(None)).order_by(Cohort.name))
    cohort_group, region_group = _("Cohorts"), _("Regions")
    return [SelectChoice(f"cohort:{c.id}", c.name, optgroup=cohort_group) for c in cohorts] + [
        SelectChoice(f"region:{r.code}", f"{r.code} {r.display_name(lang)}", optgroup=region_group)
        for r in regions
    ]


def _render_manage(seminar: Seminar, *, invite_form: InviteForm | None = None, status: int = 200):
    invite_form = invite_form or InviteForm(formdata=None)
    invite_form.target.choices = _invite_choices()
    cohorts = {
        cohort.id: cohort
        for cohort in db.session.scalars(
            sa.select(Cohort).where(Cohort.id.in_([i.cohort_id for i in seminar.invites if i.cohort_id]))
        )
    }
    regions = {
        region.code: region
        for region in db.session.scalars(
            sa.select(Region).where(Region.code.in_([i.region_id for i in seminar.invites if i.region_id]))
        )
    }
    participant_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(services.participants(seminar).order_by(None).subquery())
    )
    return render_template(
        "seminars/manage.html",
        seminar=seminar,
        days=agenda.agenda(seminar, current_user, with_progress=False),
        invite_form=invite_form,
        confirm=ConfirmForm(formdata=None),
        cohorts=cohorts,
        regions=regions,
        participant_count=participant_count,
        lang=select_locale(),
    ), status


@bp.route("/seminars/<key>/manage")
@login_required
def manage_page(key: str):
    return _render_manage(managed_or_403(key))


@bp.route("/seminars/<key>/invites", methods=["POST"])
@login_required
def invite(key: str):
    seminar = managed_or_403(key)
    form = InviteForm()
    if form.validate_on_submit():
        kind, _sep, value = (form.target.data or "").partition(":")
        try:
            if kind == "cohort" and value.isdigit():
                added = manage.add_invite(seminar, cohort_id=int(value))
            elif kind == "region":
                added = manage.add_invite(seminar, region_code=value)
            else:
                raise ValidationError("invite_target", _("Choose a cohort or a region."), field="target")
            flash(_("Invited.") if added else _("Already invited."), "success")
            return redirect(url_for("seminars.manage_page", key=seminar.key) + "#invites")
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _render_manage(seminar, invite_form=form, status=400)


@bp.route("/seminars/<key>/invites/<int:invite_id>/delete", methods=["POST"])
@login_required
def uninvite(key: str, invite_id: int):
    seminar = managed_or_403(key)
    row = db.session.get(SeminarInvite, invite_id)
    if ConfirmForm().validate_on_submit() and row is not None and row.seminar_id == seminar.id:
        manage.remove_invite(seminar, row)
        flash(_("Invitation withdrawn."), "success")
    return redirect(url_for("seminars.manage_page", key=seminar.key) + "#invites")


def _day_choices(seminar: Seminar) -> list[tuple[int, str]]:
    return [
        (
            number,
            _(
                "Day %(number)s, %(date)s",
                number=number,
                date=formats.date(seminar.starts_on + timedelta(days=number - 1)),
            ),
        )
        for number in range(1, seminar.day_count + 1)
    ]


def _session_values(form: SessionForm) -> manage.SessionValues:
    return manage.SessionValues(
        key=form.key.data or "",
        title=form.title.data or "",
        day=form.day.data or 0,
        starts=form.starts.data,
        ends=form.ends.data,
        room=form.room.data or "",
        online_url=form.online_url.data,
        topics=manage.parse_topics(form.topics.data or ""),
        speakers=manage.parse_speakers(form.speakers.data or ""),
        description_md=form.description_md.data or "",
    )


@bp.route("/seminars/<key>/sessions/new", methods=["GET", "POST"])
@login_required
def session_new(key: str):
    seminar = managed_or_403(key)
    form = SessionForm()
    form.day.choices = _day_choices(seminar)
    if form.validate_on_submit():
        try:
            session = manage.save_session(seminar, _session_values(form))
            flash(_("Session added."), "success")
            return redirect(url_for("seminars.session_edit", key=seminar.key, session_key=session.key))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    status = 400 if request.method == "POST" else 200
    return render_template("seminars/session_form.html", seminar=seminar, form=form, session=None), status


def _session_page(
    seminar: Seminar, session: SeminarSession, *, form=None, material_form=None, link_form=None, status=200
):
    if form is None:
        form = SessionForm(formdata=None, obj=session)
        zone = ZoneInfo(seminar.timezone)
        form.starts.data = session.starts_at.astimezone(zone).time()
        form.ends.data = session.ends_at.astimezone(zone).time()
        form.topics.data = ", ".join(session.topics or [])
        form.speakers.data = manage.speakers_text(session)
    form.day.choices = _day_choices(seminar)
    link_form = link_form or LinkForm(formdata=None)
    link_form.target.choices = links.link_choices()
    rows = agenda.agenda(seminar, current_user, with_progress=False)
    row = next((r for day in rows for r in day.sessions if r.session.id == session.id), None)
    return render_template(
        "seminars/session_form.html",
        seminar=seminar,
        session=session,
        form=form,
        material_form=material_form or MaterialForm(formdata=None),
        link_form=link_form,
        row=row,
        confirm=ConfirmForm(formdata=None),
        max_mb=materials.max_material_bytes() // (1024 * 1024),
    ), status


@bp.route("/seminars/<key>/sessions/<session_key>/edit", methods=["GET", "POST"])
@login_required
def session_edit(key: str, session_key: str):
    seminar = managed_or_403(key)
    session = services.session_or_404(seminar, session_key)
    if request.method == "GET":
        return _session_page(seminar, session)
    form = SessionForm()
    form.day.choices = _day_choices(seminar)
    if form.validate_on_submit():
        try:
            manage.save_session(seminar, _session_values(form), session)
            flash(_("Session saved."), "success")
            return redirect(url_for("seminars.manage_page", key=seminar.key) + f"#session-{session.key}")
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _session_page(seminar, services.session_or_404(seminar, session_key), form=form, status=400)


@bp.route("/seminars/<key>/sessions/<session_key>/delete", methods=["POST"])
@login_required
def session_delete(key: str, session_key: str):
    seminar = managed_or_403(key)
    session = services.session_or_404(seminar, session_key)
    if ConfirmForm().validate_on_submit():
        try:
            manage.delete_session(seminar, session)
            flash(_("Session deleted."), "success")
        except ValidationError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(url_for("seminars.manage_page", key=seminar.key) + "#programme")


@bp.route("/seminars/<key>/sessions/<session_key>/move", methods=["POST"])
@login_required
def session_move(key: str, session_key: str):
    seminar = managed_or_403(key)
    session = services.session_or_404(seminar, session_key)
    if ConfirmForm().validate_on_submit():
        manage.move_session(seminar, session, request.form.get("direction", ""))
    return redirect(url_for("seminars.manage_page", key=seminar.key) + f"#session-{session.key}")


@bp.route("/seminars/<key>/sessions/<session_key>/materials", methods=["POST"])
@login_required
def material_add(key: str, session_key: str):
    seminar = managed_or_403(key)
    session = services.session_or_404(seminar, session_key)
    form = MaterialForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            # One byte over the limit is enough to refuse it; a large upload is spooled to a
            # temporary file, closed here at once.
            data = upload.stream.read(materials.max_material_bytes() + 1)
            filename = upload.filename or ""
        finally:
            upload.close()
        try:
            materials.add_material(
                seminar, session, title=form.title.data or "", filename=filename, data=data
            )
            flash(_("Material uploaded."), "success")
            return redirect(
                url_for("seminars.session_edit", key=seminar.key, session_key=session.key) + "#materials"
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _session_page(
        seminar, services.session_or_404(seminar, session_key), material_form=form, status=400
    )


@bp.route("/seminars/<key>/materials/<int:material_id>/delete", methods=["POST"])
@login_required
def material_delete(key: str, material_id: int):
    seminar = managed_or_403(key)
    row = db.session.get(SessionMaterial, material_id)
    if row is None or row.session.seminar_id != seminar.id:
        abort(404)
    session_key = row.session.key
    if ConfirmForm().validate_on_submit():
        materials.delete_material(seminar, row)
        flash(_("Material deleted."), "success")
    return redirect(url_for("seminars.session_edit", key=seminar.key, session_key=session_key) + "#materials")


@bp.route("/seminars/<key>/sessions/<session_key>/links", methods=["POST"])
@login_required
def link_add(key: str, session_key: str):
    seminar = managed_or_403(key)
    session = services.session_or_404(seminar, session_key)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            links.add_link(
                seminar,
                session,
                target=form.target.data or "",
                relation=form.relation.data,
                due_days=form.due_days.data,
            )
            flash(_("Link added."), "success")
            return redirect(
                url_for("seminars.session_edit", key=seminar.key, session_key=session.key) + "#links"
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _session_page(seminar, services.session_or_404(seminar, session_key), link_form=form, status=400)


@bp.route("/seminars/<key>/links/<int:link_id>/delete", methods=["POST"])
@login_required
def link_delete(key: str, link_id: int):
    seminar = managed_or_403(key)
    row = db.session.get(SessionLink, link_id)
    if row is None or row.session.seminar_id != seminar.id:
        abort(404)
    session_key = row.session.key
    if ConfirmForm().validate_on_submit():
        links.delete_link(seminar, row)
        flash(_("Link removed."), "success")
    return redirect(url_for("seminars.session_edit", key=seminar.key, session_key=session_key) + "#links")

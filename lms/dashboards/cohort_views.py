"""Cohort pages: admins and national coordinators manage every cohort, a regional coordinator their
region's (created in their region). Each action is its own POST; the page itself only reads."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.models import User
from lms.content.models import Course
from lms.core.errors import ValidationError, apply_to_form
from lms.core.i18n import select_locale
from lms.core.roles import Role, role_required
from lms.core.web import database_id, page_arg
from lms.dashboards import candidate as candidate_service
from lms.dashboards.forms import CohortCourseForm, CohortEditForm, CohortForm, DueOverrideForm, MembersForm
from lms.dashboards.views import bp, candidate_or_404, render_candidate
from lms.extensions import db
from lms.progress import cohorts as cohort_service
from lms.progress.models import Cohort, CohortMember, Enrolment
from lms.progress.visibility import (
    in_scope,
    may_set_due,
    region_scope,
    visible_cohort,
    visible_cohorts,
    visible_regions,
)

MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def _region_choices() -> list[tuple[str, str]]:
    """Where a new cohort may be: anywhere (or national), or only a regional coordinator's region."""
    lang = select_locale()
    visible = db.session.scalars(visible_regions(current_user))
    regions = [(r.code, f"{r.code} · {r.display_name(lang)}") for r in visible]
    return regions if region_scope(current_user) is not None else [("", _("National")), *regions]


def cohort_or_404(cohort_id: int) -> Cohort:
    """A cohort the signed-in viewer may manage; another region's is simply not there."""
    cohort = visible_cohort(current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


@bp.route("/cohorts", methods=["GET", "POST"])
@role_required(*MANAGERS)
def cohorts():
    form = CohortForm()
    form.region.choices = _region_choices()
    status = 200
    if form.validate_on_submit():
        try:
            cohort = cohort_service.create_cohort(
                form.name.data,
                # A regional coordinator's cohorts are in their region, whatever the form says.
                region_code=region_scope(current_user) or form.region.data or None,
                campaign=form.campaign.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
            flash(_("Cohort created."), "success")
            return redirect(url_for("dashboards.cohort", cohort_id=cohort.id))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    if form.errors or form.form_errors:
        status = 400
    listed = db.session.scalars(
        visible_cohorts(current_user).order_by(Cohort.starts_on.desc(), Cohort.name)
    ).all()
    return render_template(
        "dashboards/cohorts.html",
        form=form,
        cohorts=[c for c in listed if c.archived_at is None],
        archived=[c for c in listed if c.archived_at is not None],
        counts=cohort_service.member_counts([c.id for c in listed]),
        scope=region_scope(current_user),
    ), status


def _render_cohort(
    cohort: Cohort,
    *,
    status: int = 200,
    edit_form: CohortEditForm | None = None,
    course_form: CohortCourseForm | None = None,
    members_form: MembersForm | None = None,
):
    """The cohort page; a form given here is shown again with its errors."""
    page = page_arg()
    total = cohort_service.member_count(cohort)
    if edit_form is None:
        edit_form = CohortEditForm(prefix="edit", formdata=None, obj=cohort)
    course_form = course_form or CohortCourseForm(prefix="course", formdata=None)
    course_form.course.choices = [
        (str(c.id), c.title)
        for c in db.session.scalars(
            sa.select(Course).where(Course.archived_at.is_(None)).order_by(Course.position)
        )
    ]
    return render_template(
        "dashboards/cohort.html",
        cohort=cohort,
        edit_form=edit_form,
        course_form=course_form,
        members_form=members_form or MembersForm(prefix="members", formdata=None),
        members=cohort_service.member_page(cohort, page=page),
        member_total=total,
        page=page,
        has_next=page * cohort_service.MEMBERS_PAGE < total,
        can_archive=cohort_service.can_archive(cohort),
    ), status


def _back(cohort: Cohort, anchor: str = ""):
    return redirect(url_for("dashboards.cohort", cohort_id=cohort.id) + anchor)


def _archived(cohort: Cohort):
    """An archived cohort's page has no forms to show an error on: say it in a message instead."""
    flash(_("The cohort is archived: unarchive it to change it."), "error")
    return _back(cohort)


@bp.route("/cohorts/<int:cohort_id>")
@role_required(*MANAGERS)
def cohort(cohort_id: int):
    return _render_cohort(cohort_or_404(cohort_id))


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["POST"])
@role_required(*MANAGERS)
def edit_cohort(cohort_id: int):
    cohort = cohort_or_404(cohort_id)
    if cohort.archived_at is not None:
        return _archived(cohort)
    form = CohortEditForm(prefix="edit")
    if form.validate_on_submit():
        try:
            changes = cohort_service.update_cohort(
                cohort,
                name=form.name.data,
                campaign=form.campaign.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
            flash(_("Cohort saved.") if changes else _("Nothing changed."), "success")
            return _back(cohort)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _render_cohort(cohort, status=400, edit_form=form)


@bp.route("/cohorts/<int:cohort_id>/courses", methods=["POST"])
@role_required(*MANAGERS)
def cohort_course(cohort_id: int):
    cohort = cohort_or_404(cohort_id)
    if cohort.archived_at is not None:
        return _archived(cohort)
    form = CohortCourseForm(prefix="course")
    if form.validate_on_submit():
        course_id = database_id(form.course.data)
        course = db.session.get(Course, course_id) if course_id is not None else None
        try:
            if course is None or course.archived_at is not None:
                raise ValidationError("no_course", _("Choose a course."), field="course")
            cohort_service.set_course(cohort, course, form.due_on.data)
            flash(_("Course and due date saved."), "success")
            return _back(cohort, "#courses")
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _render_cohort(cohort, status=400, course_form=form)


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@role_required(*MANAGERS)
def add_members(cohort_id: int):
    cohort = cohort_or_404(cohort_id)
    if cohort.archived_at is not None:
        return _archived(cohort)
    form = MembersForm(prefix="members")
    if form.validate_on_submit():
        names = list(dict.fromkeys(line.strip().lower() for line in form.usernames.data.splitlines()))
        names = [name for name in names if name]
        # Accounts the manager does not see are simply not found: other regions' and, for
        # coordinators, staff (saying "only candidates" would tell them the account exists).
        accounts = sa.select(User).where(User.username.in_(names))
        if current_user.role != Role.ADMIN:
            accounts = accounts.where(User.role == Role.CANDIDATE)
        query = in_scope(accounts, User.region_code, current_user)
        users = {user.username: user for user in db.session.scalars(query)}
        missing = [name for name in names if name not in users]
        try:
            if missing:
                raise ValidationError(
                    "unknown_usernames",
                    _("Unknown: %(names)s", names=", ".join(missing[:20])),
                    field="usernames",
                )
            added = cohort_service.add_members(cohort, [users[name] for name in names])
            flash(ngettext("%(num)s candidate added.", "%(num)s candidates added.", added), "success")
            return _back(cohort, "#members")
        except ValidationError as error:
            db.session.rollback()
            form.usernames.errors = [_("Not added (nothing was): %(problem)s", problem=error.message)]
    return _render_cohort(cohort, status=400, members_form=form)


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
@role_required(*MANAGERS)
def remove_member(cohort_id: int, user_id: int):
    cohort = cohort_or_404(cohort_id)
    user = db.session.get(User, user_id)
    if user is None or db.session.get(CohortMember, (cohort.id, user.id)) is None:
        abort(404)
    try:
        cohort_service.remove_member(cohort, user)
        flash(
            _("%(name)s left the cohort; their progress is kept.", name=user.display_name),
            "success",
        )
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    return _back(cohort, "#members")


@bp.route("/cohorts/<int:cohort_id>/archive", methods=["POST"])
@role_required(*MANAGERS)
def archive_cohort(cohort_id: int):
    cohort = cohort_or_404(cohort_id)
    try:
        cohort_service.archive_cohort(cohort)
        flash(_("Cohort archived."), "success")
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    return _back(cohort)


@bp.route("/cohorts/<int:cohort_id>/unarchive", methods=["POST"])
@role_required(*MANAGERS)
def unarchive_cohort(cohort_id: int):
    cohort = cohort_or_404(cohort_id)
    try:
        cohort_service.unarchive_cohort(cohort)
        flash(_("Cohort restored from the archive."), "success")
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    return _back(cohort)


@bp.route("/candidates/<int:user_id>/enrolments/<int:enrolment_id>/due", methods=["POST"])
@role_required(*MANAGERS)
def override_due(user_id: int, enrolment_id: int):
    """Set or clear one candidate's personal due date for a course."""
    user = candidate_or_404(user_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != user.id:
        abort(404)
    if not may_set_due(current_user, enrolment):
        abort(403)
    form = DueOverrideForm(prefix=f"due-{enrolment.id}")
    if form.validate_on_submit():
        if form.reset.data:
            cohort_service.override_due(enrolment, None)
            message = _("The cohort's due date applies again.")
        elif form.due_on.data is None:
            form.due_on.errors = [_("Enter a date, or choose the cohort's date.")]
        else:
            cohort_service.override_due(enrolment, form.due_on.data)
            message = _("Personal due date saved.")
        if not form.due_on.errors:
            flash(message, "success")
            return redirect(url_for("dashboards.candidate", user_id=user.id) + f"#enrolment-{enrolment.id}")
    db.session.rollback()
    return render_candidate(candidate_service.candidate_record(user), failed=(enrolment.id, form), status=400)

"""Cohort pages for admins and national coordinators: create, set course due dates, add members."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import Region, User
from lms.content.models import Course
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, role_required
from lms.dashboards.forms import CohortCourseForm, CohortForm, MembersForm
from lms.dashboards.views import bp
from lms.extensions import db
from lms.progress import cohorts as cohort_service
from lms.progress.models import Cohort


def _require_manager() -> None:
    """Regional coordinators watch; admins and national coordinators manage cohorts."""
    if current_user.role == Role.COORDINATOR and current_user.region_code:
        abort(403)


@bp.route("/cohorts", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def cohorts():
    _require_manager()
    form = CohortForm()
    regions = db.session.scalars(sa.select(Region).order_by(Region.code)).all()
    form.region.choices = [("", _("National"))] + [(r.code, f"{r.code} · {r.name_ru}") for r in regions]
    status = 200
    if form.validate_on_submit():
        try:
            cohort = cohort_service.create_cohort(
                form.name.data,
                region_code=form.region.data or None,
                campaign=form.campaign.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
            db.session.commit()
            flash(_("Cohort created."), "success")
            return redirect(url_for("dashboards.cohort", cohort_id=cohort.id))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    if form.errors or form.form_errors:
        status = 400
    all_cohorts = db.session.scalars(sa.select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.name)).all()
    return render_template("dashboards/cohorts.html", form=form, cohorts=all_cohorts), status


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def cohort(cohort_id: int):
    _require_manager()
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    course_form = CohortCourseForm(prefix="course")
    courses = db.session.scalars(
        sa.select(Course).where(Course.archived_at.is_(None)).order_by(Course.position)
    ).all()
    course_form.course.choices = [(str(c.id), c.title) for c in courses]
    members_form = MembersForm(prefix="members")
    status = 200
    if course_form.course.data and course_form.validate_on_submit():
        course = (
            db.session.get(Course, int(course_form.course.data))
            if course_form.course.data.isdecimal()
            else None
        )
        if course is None:
            course_form.course.errors = [_("Choose a course.")]
            status = 400
        else:
            cohort_service.set_course(cohort, course, course_form.due_on.data)
            db.session.commit()
            flash(_("Course and due date saved."), "success")
            return redirect(url_for("dashboards.cohort", cohort_id=cohort.id))
    elif members_form.usernames.data and members_form.validate_on_submit():
        names = [line.strip().lower() for line in members_form.usernames.data.splitlines() if line.strip()]
        users = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))}
        problems = [name for name in names if name not in users]
        added = 0
        if not problems:
            try:
                for name in names:
                    cohort_service.add_member(cohort, users[name])
                    added += 1
            except ValidationError as error:
                problems.append(f"{names[added]}: {error.message}")
        if problems:
            db.session.rollback()
            members_form.usernames.errors = [
                _("Not added (nothing was): %(names)s", names=", ".join(problems[:20]))
            ]
            status = 400
        else:
            db.session.commit()
            flash(_("%(count)s candidate(s) added.", count=added), "success")
            return redirect(url_for("dashboards.cohort", cohort_id=cohort.id))
    return render_template(
        "dashboards/cohort.html",
        cohort=cohort,
        course_form=course_form,
        members_form=members_form,
        members=cohort_service.members(cohort),
    ), status


@bp.route("/candidates/<int:user_id>/enrolments/<int:enrolment_id>/due", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def override_due(user_id: int, enrolment_id: int):
    """Set or clear one candidate's personal due date for a course."""
    from lms.dashboards import candidate as candidate_service
    from lms.dashboards.forms import DueOverrideForm
    from lms.dashboards.scope import candidate_or_404
    from lms.dashboards.views import render_candidate
    from lms.progress.models import Enrolment

    _require_manager()
    user = candidate_or_404(current_user, user_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != user.id:
        abort(404)
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
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("dashboards.candidate", user_id=user.id) + f"#enrolment-{enrolment.id}")
    db.session.rollback()
    return render_candidate(candidate_service.candidate_record(user), failed=(enrolment.id, form), status=400)

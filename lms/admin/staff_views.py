"""Course staff: which instructors teach which courses (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import User
from lms.admin.staff_forms import StaffForm
from lms.content import staff
from lms.content.models import Course
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, role_required
from lms.core.web import database_id
from lms.extensions import db

bp = Blueprint("course_staff", __name__, url_prefix="/admin/courses")


def _page(failed: tuple[int, StaffForm] | None = None, status: int = 200):
    """Every live course, its instructors and an "add" form; `failed` is (course id, form) to show again."""
    courses = staff.live_courses_taught(current_user)  # an admin: every live course
    choices = [("", _("Choose an instructor"))] + [
        (str(user.id), f"{user.display_name} ({user.username})") for user in staff.instructors()
    ]
    forms = {}
    for course in courses:
        if failed is not None and failed[0] == course.id:
            form = failed[1]
        else:
            form = StaffForm(prefix=f"add-{course.id}", formdata=None)
        form.user.choices = choices
        forms[course.id] = form
    return render_template(
        "admin/course_staff.html",
        courses=courses,
        staff=staff.staff_by_course([course.id for course in courses]),
        forms=forms,
        has_instructors=len(choices) > 1,
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return _page()


def _live_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or course.archived_at is not None:
        abort(404)
    return course


@bp.route("/<int:course_id>/staff", methods=["POST"])
@role_required(Role.ADMIN)
def add(course_id: int):
    course = _live_course_or_404(course_id)
    form = StaffForm(prefix=f"add-{course.id}")
    if form.validate_on_submit():
        user_id = database_id(form.user.data)
        user = db.session.get(User, user_id) if user_id is not None else None
        try:
            if user is None:
                raise ValidationError("not_instructor", _("Choose an active instructor."), field="user")
            added = staff.add_instructor(course, user)
            if added:
                flash(
                    _("%(name)s now teaches %(course)s.", name=user.display_name, course=course.title),
                    "success",
                )
            else:
                flash(_("%(name)s already teaches %(course)s.", name=user.display_name, course=course.title))
            return redirect(url_for("course_staff.index") + f"#course-{course.id}")
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    return _page(failed=(course.id, form), status=400)


@bp.route("/<int:course_id>/staff/<int:user_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def remove(course_id: int, user_id: int):
    course = _live_course_or_404(course_id)
    user = db.session.get(User, user_id)
    if user is None or not staff.remove_instructor(course, user):
        abort(404)
    flash(_("%(name)s no longer teaches %(course)s.", name=user.display_name, course=course.title), "success")
    return redirect(url_for("course_staff.index") + f"#course-{course.id}")

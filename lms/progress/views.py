"""The candidate's home ("My courses"), resume, enrol and mark-as-done."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.auth import adopt_user, session_token
from lms.content import services as content
from lms.content.views import item_url
from lms.core import transactions
from lms.core.roles import Role, login_required, role_required
from lms.extensions import login_manager
from lms.progress import gates, home_page, rollups, services

bp = Blueprint("progress", __name__)


@bp.app_errorhandler(gates.ItemLocked)
def locked(error: gates.ItemLocked):
    """Any kind's page or action on an item that is not open to the candidate yet: why, and what
    opens it (403: the address is right, the item is closed to them for now)."""
    course = content.live_course_or_404(error.course_key)
    return render_template("progress/locked.html", course=course, lock=error.lock), 403


@bp.route("/")
def home():
    """ "My courses": one statement checks the session and reads the page (see `home_page`).

    Signed-in users only, as `login_required` would check, without loading the user in a
    statement of its own; the page only reads, so its statement needs no transaction.
    """
    transactions.autocommit()
    user, page = home_page.home_page(session_token())
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    return render_template("progress/home.html", page=page, today=rollups.school_today())


@bp.route("/resume")
@login_required
def resume():
    """Where a candidate lands after signing in: the lesson they were reading last."""
    lesson = services.resume_lesson(current_user) if current_user.role == Role.CANDIDATE else None
    if lesson is None:
        return redirect(url_for("progress.home"))
    return redirect(item_url(lesson.course, lesson))


@bp.route("/courses/<course_key>/start", methods=["POST"])
@role_required(Role.CANDIDATE)
def start(course_key: str):
    course = content.live_course_or_404(course_key)
    if (lock := gates.course_locks(current_user, course).course) is not None:
        raise gates.ItemLocked(course.key, lock)
    services.enrol(current_user, course)
    lesson = services.first_unfinished_lesson(current_user, course)
    if lesson is None:
        return redirect(url_for("content.course", course_key=course.key))
    return redirect(item_url(course, lesson))


@bp.route("/courses/<course_key>/lessons/<lesson_key>/complete", methods=["POST"])
@role_required(Role.CANDIDATE)
def complete(course_key: str, lesson_key: str):
    course = content.live_course_or_404(course_key)
    lesson = content.live_lesson_or_404(course, lesson_key)
    gates.check_item_open(current_user, lesson)
    if services.complete_lesson(current_user, lesson) is services.Completed.COURSE:
        flash(_("Course complete. Well done!"), "success")
    else:
        flash(_("Lesson marked as done."), "success")
    next_lesson = services.neighbours(course, lesson)[1]
    if next_lesson is None:
        return redirect(url_for("content.course", course_key=course.key))
    return redirect(item_url(course, next_lesson))

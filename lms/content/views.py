"""Course outline, lesson pages and course assets. Pages serve HTML rendered at import."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, url_for
from flask_login import current_user

from lms.content import services
from lms.content.services import ASSET_TYPES
from lms.core.roles import Role, login_required
from lms.core.sqlite import start_writing
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import services as progress

bp = Blueprint("content", __name__, url_prefix="/courses")

# Module items other than lessons have their own pages; everything links through item_url.
ITEM_ENDPOINTS = {
    "quiz": ("quizzes.overview", "quiz_key"),
    "scenario": ("exercises.scenario", "item_key"),
    "assignment": ("exercises.assignment", "item_key"),
}


@bp.app_template_global()
def item_url(course, item) -> str:
    """URL of a module item (lesson, quiz, ...) for links in outlines and pagers."""
    endpoint, key_name = ITEM_ENDPOINTS.get(item.kind, ("content.lesson", "lesson_key"))
    return url_for(endpoint, course_key=course.key, **{key_name: item.key})


@bp.route("/<course_key>")
@login_required
def course(course_key: str):
    course = services.live_course_or_404(course_key)
    outline = progress.course_outline(current_user, course)
    enrolment = progress.get_enrolment(current_user, course)
    next_lesson = progress.first_unfinished_lesson(current_user, course) if enrolment else None
    return render_template(
        "content/course.html",
        course=course,
        outline=outline,
        enrolment=enrolment,
        next_lesson=next_lesson,
    )


@bp.route("/<course_key>/lessons/<lesson_key>")
@login_required
def lesson(course_key: str, lesson_key: str):
    """Read in one snapshot, render, then record the visit in a short write of its own.

    Only a first visit writes before rendering (it creates what the page shows); a repeat visit's
    single UPDATE runs after, so on SQLite the write lock is held for that statement alone.
    """
    lesson = services.live_lesson_page_or_404(course_key, lesson_key)
    course = lesson.course
    if lesson.kind in ITEM_ENDPOINTS:
        return redirect(item_url(course, lesson))
    visit = None
    if current_user.role == Role.CANDIDATE:
        visit = progress.lesson_visit(current_user, lesson)
        if visit.is_first(lesson):
            start_writing()
            progress.record_view(current_user, lesson)
            db.session.commit()
            visit = progress.lesson_visit(current_user, lesson)
    previous_item, next_item = progress.neighbours(course, lesson)
    page = render_template(
        "content/lesson.html",
        course=course,
        lesson=lesson,
        status=visit.progress if visit else None,
        tracked=visit is not None,
        enrolment=visit.enrolment if visit else None,
        previous_lesson=previous_item,
        next_lesson=next_item,
    )
    now = utcnow()
    if visit is not None and visit.needs_touch(lesson, now):
        enrolment_id, lesson_id = visit.enrolment.id, lesson.id
        start_writing()
        progress.touch_enrolment(enrolment_id, lesson_id, now)
        db.session.commit()
    return page


@bp.route("/<course_key>/go/<path:path_in_course>")
@login_required
def go(course_key: str, path_in_course: str):
    """Links between lessons are written as file paths; resolve them to the lesson's page."""
    course = services.live_course_or_404(course_key)
    lesson = services.lesson_by_path(course, path_in_course)
    if lesson is None:
        abort(404)
    return redirect(item_url(course, lesson))


@bp.route("/<course_key>/assets/<path:path_in_course>")
@login_required
def asset(course_key: str, path_in_course: str):
    course = services.live_course_or_404(course_key)
    file = services.asset_path(Path(current_app.config["COURSES_DIR"]), course, path_in_course)
    if file is None:
        abort(404)
    response = send_file(file, mimetype=ASSET_TYPES[file.suffix.lower()], max_age=3600)
    # An SVG opened on its own must not run anything, even if an author slipped a script in.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response

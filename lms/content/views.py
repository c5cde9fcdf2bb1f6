"""Content's blueprint: links between items, course assets, and `item_url` for every template.

The course outline and lesson pages are on this blueprint too (their URLs are content's), but they
show a reader's progress, so they live in lms.progress.lesson_views.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, send_file, url_for

from lms.content import services
from lms.content.registry import page_of
from lms.content.services import ASSET_TYPES
from lms.core.roles import login_required

bp = Blueprint("content", __name__, url_prefix="/courses")


@bp.app_template_global()
def item_url(course, item) -> str:
    """URL of a module item (lesson, quiz, ...) on its kind's page, for outlines and pagers."""
    endpoint, key_name = page_of(item.kind)
    return url_for(endpoint, course_key=course.key, **{key_name: item.key})


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

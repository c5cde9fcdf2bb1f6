"""Content's blueprint: links between items, course assets, and `item_url` for every template.

The course outline and lesson pages are on this blueprint too (their URLs are content's), but they
show a reader's progress, so they live in lms.progress.lesson_views.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from lms.content import assets, services
from lms.content.registry import page_of
from lms.core import storage
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
    """A course image, from the asset store (never the `courses/` folder): any node serves it."""
    course = services.live_course_or_404(course_key)
    stored = assets.stored_asset(course, path_in_course)
    if stored is None:
        abort(404)
    # `?v=` with the file's hash (the import writes it into the pages): this URL never changes
    # its bytes, so the browser keeps it a year; otherwise an hour, then a 304 by its ETag.
    immutable = request.args.get("v") == stored.sha256[: assets.VERSION_LENGTH]
    if request.if_none_match.contains_weak(stored.sha256):
        response = Response(status=304)
    else:
        try:
            data = storage.assets().get(stored.sha256)
        except storage.Missing:
            current_app.logger.error(
                "course asset %s (%s) is missing from the store", stored.sha256, path_in_course
            )
            abort(404)
        response = Response(data, mimetype=stored.content_type)
    response.set_etag(stored.sha256)
    response.cache_control.private = True
    response.cache_control.max_age = IMMUTABLE_MAX_AGE if immutable else 3600
    if immutable:
        response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own must not run anything, even if an author slipped a script in.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


IMMUTABLE_MAX_AGE = 365 * 24 * 3600


@bp.app_errorhandler(404)
def renamed_or_not_found(error: NotFound):
    """A page not found under an id that `renamed_from` changed is sent on to the new id, with a
    308 so a form's POST arrives with its body (the answer typed on a page open across the
    re-import); anything else is the site's 404 page."""
    moved = _renamed_location()
    if moved is not None:
        return redirect(moved, code=308)
    if request.path.startswith("/static/"):
        return error
    return render_template("errors/error.html", code=404, reason=None), 404


def _renamed_location() -> str | None:
    """This request's address with each renamed id in it replaced, or None (no route matched, or no
    id in it was renamed)."""
    arguments = request.view_args or {}
    if request.endpoint in (None, "static") or not arguments:
        return None
    renamed = services.renamed_keys([value for value in arguments.values() if isinstance(value, str)])
    if not renamed:
        return None
    moved = {
        name: renamed.get(value, value) if isinstance(value, str) else value
        for name, value in arguments.items()
    }
    # The query string as it came (url_for's own _external, _anchor... are not taken from it).
    query = {name: values for name, values in request.args.lists() if not name.startswith("_")}
    return url_for(request.endpoint, **{**query, **moved})

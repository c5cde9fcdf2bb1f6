"""Lesson images and a scenario's graph under /author: the pages and the fragment the editor uses
beside a file's text (upload an image and insert its link; redraw the graph as the text changes).

Routes on the structure blueprint (imported by create_app next to lms.authoring.structure_views),
kept apart from the structure page's routes, which change a course's lists; these change none.
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from lms.authoring import images
from lms.authoring.drafts import max_file_bytes
from lms.authoring.files import PathRefused, resolve
from lms.authoring.scenario_graph import GraphLabels, effects_text, graph_svg, read_graph
from lms.authoring.structure_forms import ImageForm
from lms.authoring.structure_views import AUTHORS, bp, editable_course_of
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import role_required
from lms.core.sqlite import writes
from lms.extensions import db


@bp.app_context_processor
def _everywhere() -> dict:
    # The editor page (the other authoring blueprint) draws a scenario's graph beside the text.
    return {"scenario_graph": scenario_graph}


def _existing_images(rel: str) -> list[str]:
    folder = resolve(rel).parent / images.IMAGE_FOLDER
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        f"{images.IMAGE_FOLDER}/{p.name}"
        for p in folder.iterdir()
        if p.is_file()
        and not p.is_symlink()
        and p.suffix.lower().lstrip(".") in ("png", "jpg", "jpeg", "gif", "webp")
    )


@bp.route("/images/<path:rel>", methods=["GET", "POST"])
@role_required(*AUTHORS)
def image(rel: str):
    course_dir = editable_course_of(rel)
    form = ImageForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    saved = None
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            upload = form.image.data
            data = upload.read(images.max_image_bytes() + 1) if upload else b""
            try:
                saved = images.save_image(
                    rel, upload.filename if upload else "", data, form.alt.data or "", current_user
                )
                status = 200
            except ValidationError as error:
                db.session.rollback()
                apply_to_form(form, error)
            except PathRefused:
                db.session.rollback()
                abort(404)
        if wants_json:
            if saved is not None:
                return jsonify(
                    markdown=saved.markdown, link=saved.link, message=_("Image uploaded and inserted.")
                )
            errors = [str(message) for messages in form.errors.values() for message in messages]
            return jsonify(errors=errors or [_("The image could not be uploaded.")]), 400
    return render_template(
        "authoring/images.html",
        rel=rel,
        course_dir=course_dir,
        form=form,
        saved=saved,
        existing=_existing_images(rel),
        max_kib=images.max_image_bytes() // 1024,
    ), status


def scenario_graph(text: str) -> dict | None:
    """What `authoring/_scenario_graph.html` shows for a scenario's text (None: nothing to draw)."""
    graph = read_graph(text)
    if graph is None:
        return None
    nodes = ngettext("%(num)s node", "%(num)s nodes", len(graph.nodes))
    replies = ngettext("%(num)s reply", "%(num)s replies", graph.reply_count)
    labels = GraphLabels(
        title=_("The scenario's graph"),
        summary=f"{nodes}, {replies}",
        start=_("start"),
        ending=_("ending"),
        good_ending=_("good ending"),
        free=_("own words"),
    )
    svg: Markup = graph_svg(graph, labels)
    return {"graph": graph, "svg": svg, "labels": labels, "effects": effects_text}


@writes(False)  # a POST only to carry the text (CSRF checked as for every POST): it reads
@bp.route("/graph/<path:rel>", methods=["POST"])
@role_required(*AUTHORS)
def graph(rel: str):
    """The graph of the text being typed, for the editor's script to refresh as the preview."""
    editable_course_of(rel)
    text = request.form.get("text", "")
    if len(text.encode("utf-8")) > max_file_bytes():
        abort(413)  # a file this size cannot be saved either; the script keeps the last graph
    return render_template("authoring/_scenario_graph.html", scenario=scenario_graph(text))

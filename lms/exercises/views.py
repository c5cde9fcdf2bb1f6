"""The exercises blueprint, what its route modules share, and a scenario's pages: the start page,
each step (read in one statement, lms/exercises/scenario_pages.py) and the debrief.

An assignment's pages are in assignment_views.py, the review pages in review_views.py and a team's
shared work in team_views.py; each adds its routes to `bp` here and is imported by create_app.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.accounts.auth import candidate_or_refusal, session_token
from lms.content import services as content
from lms.core import transactions
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, login_required, role_required
from lms.core.sqlite import writes
from lms.exercises import scenario_pages, services
from lms.exercises.forms import FreeTextForm
from lms.exercises.models import Playthrough
from lms.extensions import db
from lms.progress import gates
from lms.progress import services as progress

bp = Blueprint("exercises", __name__)
STAFF = (Role.INSTRUCTOR, Role.ADMIN)


def _item_or_404(course_key: str, item_key: str, kind: str):
    course = content.live_course_or_404(course_key)
    item = content.live_lesson_or_404(course, item_key)
    if item.kind != kind:
        abort(404)
    gates.check_item_open(current_user, item)  # playthroughs start here, so their pages need no check
    return course, item


def _read_uploads(files) -> list[services.Upload]:
    """Read and close every uploaded file at once; large ones are spooled to temporary files."""
    uploads = []
    for file in files:
        try:
            if file and file.filename:
                uploads.append(services.Upload(file.filename, file.read()))
        finally:
            file.close()
    return uploads


# --- scenarios -------------------------------------------------------------------------------


@writes()
@bp.route("/courses/<course_key>/scenarios/<item_key>")
@login_required
def scenario(course_key: str, item_key: str):
    course, item = _item_or_404(course_key, item_key, "scenario")
    tracked = current_user.role == Role.CANDIDATE
    playthroughs = services.user_playthroughs(current_user, item) if tracked else []
    if tracked:
        progress.record_view(current_user, item)
    return render_template(
        "exercises/scenario.html",
        course=course,
        item=item,
        payload=item.payload,
        playthroughs=playthroughs,
        open_playthrough=next((p for p in playthroughs if p.finished_at is None), None),
        tracked=tracked,
    )


@bp.route("/courses/<course_key>/scenarios/<item_key>/start", methods=["POST"])
@role_required(Role.CANDIDATE)
def start_scenario(course_key: str, item_key: str):
    course, item = _item_or_404(course_key, item_key, "scenario")
    try:
        playthrough = services.start_playthrough(current_user, item)
    except ValidationError as error:  # a parallel start took the number: try again
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("exercises.scenario", course_key=course.key, item_key=item.key))
    return redirect(url_for("exercises.play", playthrough_id=playthrough.id))


def _own_playthrough_or_404(playthrough_id: int) -> Playthrough:
    playthrough = db.session.get(Playthrough, playthrough_id)
    if playthrough is None or playthrough.user_id != current_user.id:
        abort(404)
    return playthrough


def _step(page: scenario_pages.ScenarioPage, form: FreeTextForm | None = None) -> str:
    return render_template("exercises/play.html", page=page, content=page.content, form=form)


@bp.route("/playthroughs/<int:playthrough_id>", methods=["GET", "POST"])
def play(playthrough_id: int):
    """A step: GET reads in one statement (lms.exercises.scenario_pages), POST applies a choice."""
    if request.method == "POST":
        return _choose(playthrough_id)
    transactions.autocommit()
    user, page = scenario_pages.step_page(session_token(), playthrough_id)
    refusal = candidate_or_refusal(user, page)
    if refusal is not None:
        return refusal
    if page.finished:
        return redirect(url_for("exercises.debrief", playthrough_id=playthrough_id))
    return _step(page)


@role_required(Role.CANDIDATE)
def _choose(playthrough_id: int):
    playthrough = _own_playthrough_or_404(playthrough_id)
    form = FreeTextForm()
    if form.validate_on_submit():
        try:
            step = int(request.form.get("step", "-1"))
            reply = int(request.form.get("reply", "-1"))
        except ValueError:
            step, reply = -1, -1
        try:
            services.choose_reply(playthrough, step, reply, form.free_text.data)
            return redirect(url_for("exercises.play", playthrough_id=playthrough.id))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    if playthrough.finished_at is not None:
        return redirect(url_for("exercises.debrief", playthrough_id=playthrough.id))
    _, page = scenario_pages.step_page(session_token(), playthrough_id)
    if page is None:
        abort(404)
    return _step(page, form), (400 if form.errors or form.form_errors else 200)


@bp.route("/playthroughs/<int:playthrough_id>/debrief")
def debrief(playthrough_id: int):
    """The debrief of a finished playthrough: one statement, like a step."""
    transactions.autocommit()
    user, page = scenario_pages.debrief_page(session_token(), playthrough_id)
    refusal = candidate_or_refusal(user, page)
    if refusal is not None:
        return refusal
    if not page.finished:
        return redirect(url_for("exercises.play", playthrough_id=playthrough_id))
    return render_template("exercises/debrief.html", page=page, content=page.content)

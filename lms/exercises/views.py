"""Scenario play, assignment submission, attachments, and the instructors' review pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.auth import adopt_user, candidate_or_refusal, session_token
from lms.content import services as content
from lms.core import storage, transactions
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, login_required, role_required
from lms.core.sqlite import writes
from lms.core.time import utcnow
from lms.core.transactions import keep_writes
from lms.core.web import bounded_int, database_ids, page_arg
from lms.exercises import assignment_page, queue, scenario_pages, services
from lms.exercises import scenario as scenario_rules
from lms.exercises.forms import FreeTextForm, SubmissionForm
from lms.exercises.models import Attachment, Playthrough, Submission
from lms.exercises.teams import is_team_item
from lms.exercises.uploads import CONTENT_TYPES
from lms.exercises.words import count_words, outside_limits
from lms.extensions import db, login_manager
from lms.progress import gates, visits
from lms.progress import services as progress
from lms.progress.visibility import may_see_region, taught_course_ids, teaches, teaches_anything

bp = Blueprint("exercises", __name__)
STAFF = (Role.INSTRUCTOR, Role.ADMIN)


def _item_or_404(course_key: str, item_key: str, kind: str):
    course = content.live_course_or_404(course_key)
    item = content.live_lesson_or_404(course, item_key)
    if item.kind != kind:
        abort(404)
    gates.check_item_open(current_user, item)  # playthroughs start here, so their pages need no check
    return course, item


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


# --- assignments -----------------------------------------------------------------------------


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


@bp.route("/courses/<course_key>/assignments/<item_key>", methods=["GET", "POST"])
def assignment(course_key: str, item_key: str):
    if request.method == "POST":
        return _save_assignment(course_key, item_key)
    return _show_assignment(course_key, item_key)


def _show_assignment(course_key: str, item_key: str):
    """The page, as the lesson page is served: one statement checks the session and reads the
    assignment with the candidate's work, the same-for-everybody parts come from cached
    fragments, and the visit is recorded in as few writes as the lesson page's.

    Signed-in users only, as `login_required` would check, without loading the user in a
    statement of its own. Only a first visit writes before rendering (in a transaction); a
    repeat visit's single UPDATE, when due, runs after, as a statement of its own.
    """
    transactions.autocommit()
    user, page = assignment_page.assignment_page(session_token(), course_key, item_key)
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    if page is None:
        abort(404)
    reader = user if user.role == Role.CANDIDATE else None
    if reader is not None and page.gates:  # staff are never locked out (gates.locks_for)
        lock = gates.locks_for(reader, page.gates).for_module(page.module_id)
        if lock is not None:
            raise gates.ItemLocked(course_key, lock)
    if page.is_team:  # one region's shared work: its own page (lms/exercises/team_views.py)
        return redirect(url_for("exercises.team_assignment", course_key=course_key, item_key=item_key))
    # A HEAD asks for the headers only: no visit (as before, only a GET records one).
    record = reader is not None and request.method == "GET"
    if record and page.is_first_visit():
        visits.record_first_visit(reader, course_key, item_key)
        _, page = assignment_page.assignment_page(session_token(), course_key, item_key)
        if page is None:  # archived or signed out between the two statements
            abort(404)
    work = page.work
    html = _render_assignment(
        course_key,
        item_key,
        page,
        assignment_page.AssignmentContent(course_key, item_key),
        Answer(text=work.text_md if work else "", version=str(work.version) if work else ""),
        tracked=reader is not None,
    )
    if record:
        visits.touch_if_due(page, utcnow())
    return html


@dataclass(frozen=True)
class Answer:
    """The answer box as the page shows it: the text, the work's version, and why a save failed."""

    text: str
    version: str
    text_errors: tuple[str, ...] = ()
    files_errors: tuple[str, ...] = ()
    form_errors: tuple[str, ...] = ()

    @classmethod
    def of(cls, form: SubmissionForm, version: str) -> Answer:
        return cls(
            text=form.text.data or "",
            version=version,
            text_errors=tuple(form.text.errors),
            files_errors=tuple(form.files.errors),
            form_errors=tuple(form.form_errors),
        )


def _render_assignment(
    course_key: str,
    item_key: str,
    page: assignment_page.AssignmentPage,
    item_content: assignment_page.AssignmentContent,
    answer: Answer,
    *,
    tracked: bool,
    preview_html: str | None = None,
) -> str:
    editable = tracked and (page.work is None or page.work.editable)
    words = count_words(answer.text) if editable else 0  # counted under the answer box only
    return render_template(
        "exercises/assignment.html",
        course_key=course_key,
        item_key=item_key,
        page=page,
        content=item_content,
        payload=page.payload,
        work=page.work,
        grading=page.work.grading if page.work else None,
        answer=answer,
        tracked=tracked,
        preview_html=preview_html,
        words=words,
        words_problem=outside_limits(words, page.payload.get("words")),
    )


@login_required
def _save_assignment(course_key: str, item_key: str):
    """Save a draft or submit (or preview the answer); refused forms are shown again with why."""
    course, item = _item_or_404(course_key, item_key, "assignment")
    if is_team_item(item):  # one region's shared work: its own page (lms/exercises/team_views.py)
        return redirect(url_for("exercises.team_assignment", course_key=course.key, item_key=item.key))
    if current_user.role != Role.CANDIDATE:
        abort(403)
    submission = services.get_submission(current_user, item)
    form = SubmissionForm(text=submission.text_md if submission else "")
    status = 400
    preview_html = None
    valid = form.validate_on_submit()
    if valid and "preview" in request.form:  # show the answer as reviewers will see it; save nothing
        preview_html = services.render_answer(form.text.data or "")
        status = 200
    elif valid:
        uploads = _read_uploads(request.files.getlist(form.files.name))
        remove_ids = database_ids(request.form.getlist("remove"))
        submit = "submit" in request.form
        version = bounded_int(form.version.data, low=0)
        try:
            services.save_submission(
                current_user,
                item,
                text=form.text.data or "",
                uploads=uploads,
                remove_ids=remove_ids,
                submit=submit,
                expected_version=version,
            )
            flash(_("Your work is submitted for review.") if submit else _("Draft saved."), "success")
            return redirect(url_for("exercises.assignment", course_key=course.key, item_key=item.key))
        except ValidationError as error:  # stale, locked, or a field's problem: all shown on the form
            db.session.rollback()
            apply_to_form(form, error)
            submission = services.get_submission(current_user, item)
    page = assignment_page.page_of(item, submission)
    answer = Answer.of(form, str(submission.version) if submission else form.version.data or "")
    return _render_assignment(
        course.key,
        item.key,
        page,
        assignment_page.AssignmentContent(course.key, item.key, item),
        answer,
        tracked=True,
        preview_html=preview_html,
    ), status


@bp.route("/courses/<course_key>/assignments/<item_key>/preview", methods=["POST"])
@role_required(Role.CANDIDATE)
def assignment_preview(course_key: str, item_key: str):
    """The answer's preview for the page's script: the same sanitised HTML, and its word count."""
    _item_or_404(course_key, item_key, "assignment")
    text = request.form.get("text", "")[: services.MAX_TEXT_LENGTH]
    return jsonify(html=services.render_answer(text), words=count_words(text))


@bp.route("/submissions/<int:submission_id>/files/<int:attachment_id>")
@login_required
def attachment(submission_id: int, attachment_id: int):
    """Files are served only to their author and to instructors and admins, never from static/."""
    file = db.session.get(Attachment, attachment_id)
    if file is None or file.submission_id != submission_id:
        abort(404)
    if not _may_read_work(file.submission):
        abort(404)
    try:
        stored = storage.attachments().open(file.stored_name)
    except storage.Missing:
        abort(404)
    inline = file.kind in ("pdf", "png", "jpeg", "webp") and request.args.get("download") is None
    response = send_file(  # streams the file object, from the disk or the bucket, and closes it
        stored,
        mimetype=CONTENT_TYPES[file.kind],
        as_attachment=not inline,
        download_name=file.filename,
        max_age=0,
    )
    response.content_length = file.size
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _may_read_work(submission: Submission) -> bool:
    """Its author, the course's staff, and for a team's work its members and the coordinators
    who see its region."""
    if current_user.role in STAFF and teaches(current_user, submission.item.course_id):
        return True
    team = submission.team_region_code
    if team is None:
        return submission.user_id == current_user.id
    if current_user.role == Role.CANDIDATE:
        return current_user.region_code == team
    return current_user.role == Role.COORDINATOR and may_see_region(current_user, team)


# --- review ----------------------------------------------------------------------------------


@bp.route("/review")
@role_required(*STAFF)
def review_queue():
    filters = queue.QueueFilters.from_args(request.args)
    course_ids = taught_course_ids(current_user)  # an instructor's own courses; None for admins
    page = queue.review_queue(filters, page=page_arg(), course_ids=course_ids)
    return render_template(
        "exercises/queue.html",
        page=page,
        filters=filters,
        options=queue.filter_options(course_ids),
        teaches_nothing=not teaches_anything(current_user),
    )


@bp.route("/review/submissions/<int:submission_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def grade(submission_id: int):
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.status == "draft":
        abort(404)
    if not teaches(current_user, submission.item.course_id):
        abort(404)
    errors: dict[str, str] = {}
    form_errors: list[str] = []
    status = 200
    if request.method == "POST":
        rubric = submission.snapshot.payload.get("rubric", [])
        scores: dict[str, int] = {}
        for criterion in rubric:
            value = request.form.get(f"score-{criterion['key']}", "")
            if value.lstrip("-").isdecimal():
                scores[criterion["key"]] = int(value)
        comments = {c["key"]: request.form.get(f"comment-{c['key']}", "")[:4000] for c in rubric}
        try:
            services.grade_submission(
                submission,
                current_user,
                scores=scores,
                criterion_comments=comments,
                comment=request.form.get("comment", "")[:10000],
                decision=request.form.get("decision", ""),
                expected_version=request.form.get("version", -1, type=int),
            )
            flash(_("The grade is saved and the candidate can see it."), "success")
            return redirect(url_for("exercises.review_queue"))
        except ValidationError as error:
            db.session.rollback()
            if error.code in ("stale", "not_in_review"):
                form_errors.append(error.message)
            else:
                errors[error.field or "form"] = error.message
            status = 409 if error.code == "stale" else 400
        claim = services.claim_submission(submission, current_user)
        keep_writes()  # the claim stands although the grade was refused
    else:
        claim = services.claim_state(submission, current_user)  # a page only reads
    return render_template(
        "exercises/grade.html",
        submission=submission,
        payload=submission.snapshot.payload,
        claim=claim,
        attachments=services.live_attachments(submission),
        errors=errors,
        form_errors=form_errors,
        grading=services.latest_grading(submission),
        item=submission.item,
        course=submission.item.course,
    ), status


@bp.route("/review/submissions/<int:submission_id>/claim", methods=["POST"])
@role_required(*STAFF)
def start_review(submission_id: int):
    """Start grading a submission, or take it over from another reviewer (a button, never a link)."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.status == "draft":
        abort(404)
    services.claim_submission(submission, current_user, take_over=request.form.get("take_over") == "1")
    return redirect(url_for("exercises.grade", submission_id=submission.id))


@bp.route("/review/playthroughs/<int:playthrough_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def review_playthrough(playthrough_id: int):
    playthrough = db.session.get(Playthrough, playthrough_id)
    if playthrough is None or playthrough.finished_at is None:
        abort(404)
    if not teaches(current_user, playthrough.item.course_id):
        abort(404)
    if request.method == "POST":
        services.review_playthrough(playthrough, current_user, request.form.get("comment", "")[:10000])
        flash(_("Your comment is saved."), "success")
        return redirect(url_for("exercises.review_queue"))
    payload = playthrough.snapshot.payload
    return render_template(
        "exercises/review_playthrough.html",
        playthrough=playthrough,
        payload=payload,
        report=scenario_rules.debrief(payload, playthrough.state),
        reviews=services.playthrough_reviews(playthrough),
        item=playthrough.item,
        course=playthrough.item.course,
    )

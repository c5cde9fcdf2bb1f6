"""The instructors' review pages: the queue of work waiting, grading a submission with its rubric
(and claiming it first), and commenting on a finished playthrough.

Routes on the exercises blueprint (imported by create_app next to lms.exercises.views); the
operations are grading's (lms/exercises/grading.py, through lms.exercises.services).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.errors import ValidationError
from lms.core.roles import role_required
from lms.core.transactions import keep_writes
from lms.core.web import page_arg
from lms.exercises import queue, services
from lms.exercises import scenario as scenario_rules
from lms.exercises.models import Playthrough, Submission
from lms.exercises.views import STAFF, bp
from lms.extensions import db
from lms.progress.visibility import taught_course_ids, teaches, teaches_anything


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
    """Start grading a submission, or take it over from another reviewer (a button, never a link).

    Only the course's staff, as on the grading page: a claim takes the work from its reviewer."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.status == "draft":
        abort(404)
    if not teaches(current_user, submission.item.course_id):
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

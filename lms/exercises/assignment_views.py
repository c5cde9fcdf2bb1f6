"""An assignment's pages: the candidate's answer (draft, submit, preview) and the attached files,
served only to those who may read the work.

Routes on the exercises blueprint (imported by create_app next to lms.exercises.views). The page's
read is one statement (lms/exercises/assignment_page.py); a team's shared work has its own page
(lms/exercises/team_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.auth import adopt_user, session_token
from lms.core import storage, transactions
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, login_required, role_required
from lms.core.time import utcnow
from lms.core.web import bounded_int, database_ids
from lms.exercises import assignment_page, services
from lms.exercises.forms import SubmissionForm
from lms.exercises.models import Attachment, Submission
from lms.exercises.teams import is_team_item
from lms.exercises.uploads import CONTENT_TYPES
from lms.exercises.views import STAFF, _item_or_404, _read_uploads, bp
from lms.exercises.words import count_words, outside_limits
from lms.extensions import db, login_manager
from lms.progress import gates, visits
from lms.progress.visibility import may_see_region, teaches


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
        # No version: the page showed no work yet, so another tab's first save is a change too.
        version = bounded_int(form.version.data, low=0) or 1
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

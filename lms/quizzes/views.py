"""Quiz pages: overview and start, the attempt (autosaved), submission, result, item analysis."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.auth import adopt_user, candidate_or_refusal, session_token
from lms.content import services as content
from lms.core import transactions
from lms.core.errors import ValidationError
from lms.core.roles import Role, role_required
from lms.core.sqlite import writes
from lms.core.time import utcnow
from lms.core.transactions import keep_writes
from lms.extensions import db, login_manager
from lms.progress import gates, visits
from lms.progress import services as progress
from lms.progress.visibility import analysis_region, may_analyse, selectable_regions, teaches
from lms.quizzes import pages, regrade, reports, services
from lms.quizzes.models import Attempt

bp = Blueprint("quizzes", __name__)


def _quiz_or_404(course_key: str, quiz_key: str) -> tuple:
    course = content.live_course_or_404(course_key)
    quiz = content.live_lesson_or_404(course, quiz_key)
    if quiz.kind != "quiz":
        abort(404)
    gates.check_item_open(current_user, quiz)  # attempts start here, so their pages need no check
    return course, quiz


def _own_attempt_or_404(attempt_id: int) -> Attempt:
    """Candidates only ever reach their own attempts; any other id is simply not found."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _form_lists() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form}


@bp.route("/courses/<course_key>/quizzes/<quiz_key>")
def overview(course_key: str, quiz_key: str):
    """The start page, built as the lesson page is: one statement checks the session and reads
    the quiz, the reader's visit and attempts; a first visit (or an attempt whose time ran out)
    writes in a short transaction of its own; a repeat visit at most one UPDATE.

    Signed-in users only, as `login_required` would check, without loading the user separately.
    """
    transactions.autocommit()
    user, page = pages.start_page(session_token(), course_key, quiz_key)
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    if page is None:
        abort(404)
    reader = user if user.role == Role.CANDIDATE else None
    if reader is not None and page.visit.gates:
        lock = gates.locks_for(reader, page.visit.gates).for_module(page.visit.module_id)
        if lock is not None:
            raise gates.ItemLocked(course_key, lock)
    now = utcnow()
    expired = page.expired_attempt(now) if reader is not None else None
    if reader is not None and (expired is not None or page.visit.is_first_visit()):
        # Commits itself, as the lesson page does: these rows in one transaction, then autocommit.
        _start_writing()
        if expired is not None:
            services.close_if_expired(db.session.get(Attempt, expired), now)
        if page.visit.is_first_visit():
            progress.record_view(reader, content.live_lesson_page_or_404(course_key, quiz_key))
        db.session.commit()
        transactions.autocommit()
        _, page = pages.start_page(session_token(), course_key, quiz_key)
        if page is None:  # archived or signed out between the two statements
            abort(404)
    html = render_template(
        "quizzes/overview.html",
        page=page,
        content=pages.QuizContent(course_key, quiz_key),
        course_key=course_key,
        quiz_key=quiz_key,
        tracked=reader is not None,
        may_analyse=reader is None and may_analyse(user, page.course_id),
    )
    if reader is not None:
        visits.touch_if_due(page.visit, now)
    return html


def _start_writing() -> None:
    """`transactions.start_writing` after reads in autocommit: they have nothing to commit (so
    the request's one commit is its write's), and the next BEGIN takes SQLite's write lock."""
    db.session.rollback()
    transactions.start_writing()


def _candidate_attempt(attempt_id: int):
    """The attempt pages' one statement and `role_required(Role.CANDIDATE)`'s answers: anonymous
    users to login, other roles 403; then another candidate's attempt, or none, is not found."""
    transactions.autocommit()
    user, page = pages.attempt_page(session_token(), attempt_id)
    return candidate_or_refusal(user, page) or page


def _close_expired(page: pages.AttemptPage, now) -> Attempt:
    """Close an attempt whose time ran out, grading what was saved (the page's one write)."""
    _start_writing()
    attempt = db.session.get(Attempt, page.id)
    services.close_if_expired(attempt, now)
    return attempt


@bp.route("/courses/<course_key>/quizzes/<quiz_key>/start", methods=["POST"])
@role_required(Role.CANDIDATE)
def start(course_key: str, quiz_key: str):
    course, quiz = _quiz_or_404(course_key, quiz_key)
    try:
        attempt = services.start_attempt(current_user, quiz)
    except ValidationError as error:  # no attempts left, or a parallel start to try again after
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("quizzes.overview", course_key=course.key, quiz_key=quiz.key))
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@bp.route("/quiz-attempts/<int:attempt_id>")
def take(attempt_id: int):
    """The attempt: one statement, the questions' markup from a cached fragment (by versions and
    served order) with the candidate's saved answers filled in per request."""
    page = _candidate_attempt(attempt_id)
    if not isinstance(page, pages.AttemptPage):
        return page
    now = utcnow()
    if page.expired(now):
        attempt = _close_expired(page, now)  # committed as the request ends (a redirect)
        if attempt.is_open:  # its deadline moved meanwhile: show it afresh
            return redirect(url_for("quizzes.take", attempt_id=attempt_id))
    if not page.is_open or page.expired(now):
        return redirect(url_for("quizzes.result", attempt_id=attempt_id))
    return render_template("quizzes/take.html", page=page, now=now)


@bp.route("/quiz-attempts/<int:attempt_id>/save", methods=["POST"])
@role_required(Role.CANDIDATE)
def save(attempt_id: int):
    """Autosave (JavaScript, answers JSON) or the "save" button (no JavaScript, redirects back)."""
    attempt = _own_attempt_or_404(attempt_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        answered = services.save_answers(attempt, _form_lists())
    except services.AttemptClosed:
        keep_writes()  # the attempt may just have been closed by its deadline: that stands
        if wants_json:
            return jsonify(closed=True, result=url_for("quizzes.result", attempt_id=attempt.id)), 409
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if wants_json:
        return jsonify(closed=False, answered=answered, saved_at=utcnow().isoformat())
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@role_required(Role.CANDIDATE)
def _no_submission(attempt_id: int):
    """What a submit answers without a signed-in user's own attempt: as `role_required` answers
    (login, or 403), else 404 (another's attempt, or none), the user loaded as on any page."""
    abort(404)


@bp.route("/quiz-attempts/<int:attempt_id>/submit", methods=["POST"])
def submit(attempt_id: int):
    """Submit and grade. A form that leaves questions unanswered is saved and confirmed first.

    `confirm=1` comes with the whole form (the page's own confirmation, or time is up);
    `confirm=saved` from the confirmation page submits the answers saved before it.

    The whole hall submits at once: one statement reads the session's user with the attempt,
    locked (as the lesson page reads its user), instead of `role_required` loading the user.
    """
    found = services.submission(session_token(), attempt_id)
    if found is None:
        return _no_submission(attempt_id)
    user, attempt = found
    adopt_user(user)
    if user.role != Role.CANDIDATE:
        abort(403)
    confirm = request.form.get("confirm")
    if confirm == "saved":
        services.submit_attempt(attempt, None, locked=True)
    elif confirm:
        services.submit_attempt(attempt, _form_lists(), locked=True)
    else:
        try:
            unanswered = services.submit_or_hold(attempt, _form_lists())
        except services.AttemptClosed:
            keep_writes()  # closed by its deadline just now: that stands
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
        if unanswered:
            return redirect(url_for("quizzes.confirm", attempt_id=attempt.id))
    return redirect(url_for("quizzes.result", attempt_id=attempt.id))


@writes()
@bp.route("/quiz-attempts/<int:attempt_id>/confirm")
@role_required(Role.CANDIDATE)
def confirm(attempt_id: int):
    """Asks before submitting an attempt with unanswered questions (the page without JavaScript)."""
    attempt = _own_attempt_or_404(attempt_id)
    services.close_if_expired(attempt, utcnow())
    if not attempt.is_open:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    unanswered = services.unanswered_questions(attempt)
    if not unanswered:  # answered meanwhile (another tab): back to the attempt to submit it
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    return render_template(
        "quizzes/confirm.html",
        attempt=attempt,
        quiz=attempt.quiz,
        course=attempt.quiz.course,
        unanswered=unanswered,
        total=len(attempt.layout),
    )


@bp.route("/quiz-attempts/<int:attempt_id>/result")
def result(attempt_id: int):
    """The result: one statement (and one for the questions when their answers are shown); an
    attempt whose time ran out is closed first, in a short transaction of its own."""
    page = _candidate_attempt(attempt_id)
    if not isinstance(page, pages.AttemptPage):
        return page
    now = utcnow()
    if page.expired(now):
        _close_expired(page, now)
        db.session.commit()  # the page commits its one write, then reads what it wrote
        transactions.autocommit()
        _, page = pages.attempt_page(session_token(), attempt_id)
        if page is None:  # signed out meanwhile
            abort(404)
    if page.is_open:
        return redirect(url_for("quizzes.take", attempt_id=attempt_id))
    return render_template("quizzes/result.html", page=page)


@bp.route("/courses/<course_key>/quizzes/<quiz_key>/analysis")
@role_required(Role.INSTRUCTOR, Role.ADMIN, Role.COORDINATOR)
def analysis(course_key: str, quiz_key: str):
    course, quiz = _quiz_or_404(course_key, quiz_key)
    if not may_analyse(current_user, course.id):
        abort(404)
    region_code = analysis_region(current_user, request.args.get("region") or None)
    report = reports.item_analysis(quiz, region_code=region_code)
    regions = selectable_regions(current_user)
    return render_template(
        "quizzes/analysis.html",
        course=course,
        quiz=quiz,
        report=report,
        regions=regions,
        region_code=region_code,
        # A regional coordinator's figures are always their region's: the filter only shows it.
        region_locked=current_user.role == Role.COORDINATOR and bool(current_user.region_code),
        regrade_flags=regrade.open_flags(quiz),
        may_regrade=teaches(current_user, course.id),
    )


@bp.route("/courses/<course_key>/quizzes/<quiz_key>/regrade", methods=["POST"])
@role_required(Role.INSTRUCTOR, Role.ADMIN)
def regrade_flagged(course_key: str, quiz_key: str):
    """Course staff apply the changed answer keys to earlier attempts: explicit and audited."""
    course, quiz = _quiz_or_404(course_key, quiz_key)
    if not teaches(current_user, course.id):
        abort(403)
    result = regrade.regrade_flagged(quiz, current_user)
    if result.questions:
        flash(
            ngettext(
                "%(num)s attempt regraded by the current answer keys.",
                "%(num)s attempts regraded by the current answer keys.",
                result.attempts,
            ),
            "success",
        )
    else:
        flash(_("Nothing was waiting for a regrade."), "success")
    return redirect(url_for("quizzes.analysis", course_key=course.key, quiz_key=quiz.key))

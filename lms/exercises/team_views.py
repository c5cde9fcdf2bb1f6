"""Team assignments' pages: the region's shared draft, and the reviewers' side-by-side table.

Routes on the exercises blueprint (imported by create_app next to lms.exercises.views).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import Role, login_required, role_required
from lms.core.sqlite import writes
from lms.core.web import bounded_int, database_ids
from lms.exercises import services, team
from lms.exercises.forms import TeamDraftForm
from lms.exercises.models import Submission
from lms.exercises.views import STAFF, _item_or_404, _read_uploads, bp
from lms.exercises.words import count_words
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.visibility import may_see_region, region_scope, taught_course_ids, teaches

REVIEWERS = (Role.INSTRUCTOR, Role.ADMIN, Role.COORDINATOR)


@writes()
@bp.route("/courses/<course_key>/team-assignments/<item_key>", methods=["GET", "POST"])
@login_required
def team_assignment(course_key: str, item_key: str):
    """The region's shared draft for its members; the task and rubric for everyone else."""
    course, item = _item_or_404(course_key, item_key, "assignment")
    if not team.is_team_item(item):
        return redirect(url_for("exercises.assignment", course_key=course.key, item_key=item.key))
    member = team.may_edit(current_user)
    region = current_user.region_code if member else None
    submission = team.team_submission(item, region) if region else None
    form = TeamDraftForm(text=team.draft_text(item, submission))
    conflict: team.Conflict | None = None
    status = 200
    if request.method == "POST":
        if not member:
            abort(403)
        if form.validate_on_submit():
            submit = "submit" in request.form
            version = form.version.data
            try:
                team.save_team_draft(
                    current_user,
                    item,
                    text=form.text.data or "",
                    uploads=_read_uploads(request.files.getlist(form.files.name)),
                    remove_ids=database_ids(request.form.getlist("remove")),
                    submit=submit,
                    expected_version=bounded_int(version, low=0),
                )
                flash(
                    _("Your team's work is submitted for review.") if submit else _("Draft saved."),
                    "success",
                )
                return redirect(
                    url_for("exercises.team_assignment", course_key=course.key, item_key=item.key)
                )
            except team.Conflict as error:  # both texts shown; saving again keeps the member's own
                db.session.rollback()
                conflict = error
                apply_to_form(form, error)
                status = 409
            except ValidationError as error:
                db.session.rollback()
                apply_to_form(form, error)
                status = 400
            submission = team.team_submission(item, region) if region else None
        else:
            status = 400
    if submission is not None:
        form.version.data = str(submission.version)
    if member and request.method == "GET":
        progress.record_view(current_user, item)
    return render_template(
        "exercises/team_assignment.html",
        course=course,
        item=item,
        payload=item.payload,
        member=member,
        region=current_user.region if member else None,
        submission=submission,
        members=team.team_members(item, region) if region else [],
        form=form,
        conflict=conflict,
        attachments=services.live_attachments(submission) if submission else [],
        grading=services.latest_grading(submission) if submission else None,
        words=count_words(form.text.data or ""),
        may_review=current_user.role in REVIEWERS,
    ), status


def _viewer_scope() -> tuple[object, str | None]:
    """(course ids the viewer reviews or None for every course, the one region they see or None)."""
    if current_user.role == Role.COORDINATOR:
        return None, region_scope(current_user)
    return taught_course_ids(current_user), None


@bp.route("/review/team-projects")
@role_required(*REVIEWERS)
def team_projects():
    """Every region's project of one team assignment side by side, one column per criterion."""
    course_ids, scope = _viewer_scope()
    items = team.team_items(course_ids)  # type: ignore[arg-type]
    chosen = request.args.get("item", "", type=str)[:20]
    item = next((i for i in items if str(i.id) == chosen), items[0] if items else None)
    status = request.args.get("status", "all")
    status = status if status in team.OVERVIEW_STATUSES else "all"
    region = request.args.get("region", "")[:3] if scope is None else ""
    rows = team.region_rows(item, scope=scope, region=region, status=status) if item else []
    return render_template(
        "exercises/team_projects.html",
        items=items,
        item=item,
        rows=rows,
        status=status,
        region=region,
        scope=scope,
        regions=team.region_rows(item, scope=scope) if item and scope is None else [],
        grader=item is not None and current_user.role in STAFF and teaches(current_user, item.course_id),
    )


@bp.route("/review/team-projects/<int:submission_id>")
@role_required(*REVIEWERS)
def team_project(submission_id: int):
    """One region's project, read-only: for the course's staff and the coordinators of its region."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.team_region_code is None:
        abort(404)
    grader = current_user.role in STAFF and teaches(current_user, submission.item.course_id)
    if current_user.role == Role.COORDINATOR:
        if not may_see_region(current_user, submission.team_region_code):
            abort(404)
    elif not grader:
        abort(404)
    return render_template(
        "exercises/team_project.html",
        submission=submission,
        item=submission.item,
        course=submission.item.course,
        payload=submission.snapshot.payload,
        attachments=services.live_attachments(submission),
        grading=services.latest_grading(submission),
        members=team.team_members(submission.item, submission.team_region_code),
        grader=grader,
    )

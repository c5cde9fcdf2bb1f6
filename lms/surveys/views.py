"""Survey pages: the form and its thank-you state, and the results with their exports."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.audit.services import record
from lms.content import services as content
from lms.content.models import Course, Lesson
from lms.core.downloads import CSV_TYPE, XLSX_TYPE, attachment, csv_filename, requested_dialect
from lms.core.export import Column, CountingRows, to_csv, to_xlsx
from lms.core.roles import Role, login_required, role_required
from lms.core.sqlite import writes
from lms.core.transactions import start_writing
from lms.extensions import db
from lms.progress import gates
from lms.progress import services as progress
from lms.progress.visibility import analysis_region, may_analyse, selectable_regions
from lms.surveys import reports, services
from lms.surveys.format import TEXT_MAX

bp = Blueprint("surveys", __name__)
RESULT_VIEWERS = (Role.INSTRUCTOR, Role.ADMIN, Role.COORDINATOR)
FORMATS = ("csv", "xlsx")


def _survey_or_404(course_key: str, survey_key: str) -> tuple[Course, Lesson]:
    course = content.live_course_or_404(course_key)
    survey = content.live_lesson_or_404(course, survey_key)
    if survey.kind != "survey":
        abort(404)
    gates.check_item_open(current_user, survey)
    return course, survey


def _form_lists() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form}


def _render_form(course: Course, survey: Lesson, *, answered: bool, answers=None, errors=None, status=200):
    tracked = current_user.role == Role.CANDIDATE
    return (
        render_template(
            "surveys/overview.html",
            course=course,
            survey=survey,
            questions=services.questions(survey),
            anonymous=services.is_anonymous(survey),
            answered=answered,
            answers=answers or {},
            errors=errors or {},
            tracked=tracked,
            may_see_results=not tracked and may_analyse(current_user, course.id),
            next_item=progress.neighbours(course, survey)[1] if answered else None,
            text_max=TEXT_MAX,
        ),
        status,
    )


@writes()
@bp.route("/courses/<course_key>/surveys/<survey_key>")
@login_required
def overview(course_key: str, survey_key: str):
    """The form, or the thank-you once answered; staff see the questions and a link to results."""
    course, survey = _survey_or_404(course_key, survey_key)
    answered = False
    if current_user.role == Role.CANDIDATE:
        answered = services.has_answered(current_user, survey)
        if survey.complete_mode == "view":  # a survey is done when answered, not when opened
            progress.enrol(current_user, course)
        else:
            progress.record_view(current_user, survey)
    return _render_form(course, survey, answered=answered)


@bp.route("/courses/<course_key>/surveys/<survey_key>", methods=["POST"])
@role_required(Role.CANDIDATE)
def submit(course_key: str, survey_key: str):
    course, survey = _survey_or_404(course_key, survey_key)
    try:
        answers = services.read_answers(survey, _form_lists())
    except services.AnswersInvalid as invalid:
        db.session.rollback()
        answered = services.has_answered(current_user, survey)
        return _render_form(course, survey, answered=answered, answers=invalid.answers, errors=invalid.errors)
    if services.submit_response(current_user, survey, answers):
        flash(_("Thank you! Your answers are saved."), "success")
    else:  # a second tab or a double click: the first answers stand
        flash(_("You have already answered this survey; your first answers stand."), "info")
    return redirect(url_for("surveys.overview", course_key=course.key, survey_key=survey.key))


def _results_scope(course: Course) -> str | None:
    """The region the viewer's results count: a regional coordinator's own, whatever was asked."""
    if not may_analyse(current_user, course.id):
        abort(404)
    requested = request.args.get("region") or None
    region_code = analysis_region(current_user, requested)
    allowed = {region.code for region in selectable_regions(current_user)}
    if region_code is not None and region_code not in allowed:
        abort(404)
    return region_code


@bp.route("/courses/<course_key>/surveys/<survey_key>/results")
@role_required(*RESULT_VIEWERS)
def results(course_key: str, survey_key: str):
    course, survey = _survey_or_404(course_key, survey_key)
    region_code = _results_scope(course)
    return render_template(
        "surveys/results.html",
        course=course,
        survey=survey,
        results=reports.survey_results(survey, region_code),
        regions=selectable_regions(current_user),
        region_code=region_code,
        region_locked=current_user.role == Role.COORDINATOR and bool(current_user.region_code),
        min_group=reports.MIN_GROUP,
    )


@bp.route("/courses/<course_key>/surveys/<survey_key>/results.<fmt>")
@role_required(*RESULT_VIEWERS)
def export(course_key: str, survey_key: str, fmt: str):
    """Every response of the results page's scope, one row each; recorded in the audit log."""
    if fmt not in FORMATS:
        abort(404)
    course, survey = _survey_or_404(course_key, survey_key)
    region_code = _results_scope(course)
    anonymous = services.is_anonymous(survey)
    columns = [Column("region", _("Region")), Column("answered_on", _("Answered on"), "date")]
    if not anonymous:
        columns.insert(0, Column("name", _("Full name")))
    for number, question in enumerate(services.questions(survey), start=1):
        kind = "int" if question["type"] == "scale" else "text"
        columns.append(Column(f"q:{question['key']}", reports.column_title(number, question), kind))
    rows = CountingRows(reports.export_rows(survey, region_code))
    name = f"survey-{survey.key}" + (f"-{region_code}" if region_code else "")
    if fmt == "csv":
        dialect = requested_dialect()
        response = attachment(to_csv(columns, rows, dialect), csv_filename(name, dialect), CSV_TYPE)
    else:
        response = attachment(to_xlsx(columns, rows), f"{name}.xlsx", XLSX_TYPE)
    start_writing()  # a GET that reads; its one write is this record (see dashboards' exports)
    record(
        "export.survey",
        target_type="course",
        target_id=course.id,
        target_label=f"{course.key}/{survey.key}",
        details={"region": region_code or "", "rows": rows.count, "format": fmt, "anonymous": anonymous},
    )
    return response

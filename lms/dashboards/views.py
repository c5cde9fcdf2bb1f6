"""Coordinator dashboards: national overview, region page with exports, candidate drill-down.

More pages join this blueprint from cohort_views, export_views and teaching_views (the factory
imports them); they build on the helpers here, never the other way round.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.auth import adopt_user, session_token
from lms.accounts.models import User
from lms.accounts.services import RegionName, region_name
from lms.core import formats, transactions
from lms.core.i18n import select_locale, select_timezone
from lms.core.roles import Role, role_required
from lms.core.web import int_arg, page_arg
from lms.dashboards import candidate as candidate_service
from lms.dashboards import heatmap as heatmap_page
from lms.dashboards import region_page, services
from lms.dashboards.charts import ChartLabels, completion_chart, completion_table
from lms.dashboards.forms import DueOverrideForm
from lms.dashboards.insights import AT_RISK_LIMIT, RISK_KEYS
from lms.dashboards.risk_page import risk_page
from lms.exercises import reports as exercise_reports
from lms.extensions import login_manager
from lms.notifications.services import reminders_for, reminders_left
from lms.progress.models import percent_done
from lms.progress.visibility import (
    may_see_region,
    may_set_due,
    region_scope,
    selectable_regions,
    visible_candidate,
)

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")
VIEWERS = (Role.COORDINATOR, Role.ADMIN)


@bp.route("/")
@role_required(*VIEWERS)
def overview():
    sort = request.args.get("sort", "region")
    return render_template(
        "dashboards/overview.html",
        overview=services.national_overview(current_user, sort=sort, lang=select_locale()),
        sort=sort,
        scope=region_scope(current_user),
    )


def candidate_or_404(user_id: int) -> User:
    """A candidate the signed-in viewer may see; anyone else's page is simply not there."""
    candidate = visible_candidate(current_user, user_id)
    if candidate is None:
        abort(404)
    return candidate


def _region_or_404(code: str) -> RegionName:
    if not may_see_region(current_user, code):
        abort(404)
    region = region_name(code)
    if region is None:
        abort(404)
    return region


def _requested_region() -> str | None:
    """The ?region= filter, checked against scope: a regional coordinator asking for another is a 404."""
    requested = request.args.get("region") or None
    if requested:
        _region_or_404(requested)
    return region_scope(current_user) or requested


@bp.route("/regions/<code>")
@transactions.autocommit_page
@role_required(*VIEWERS)
def region(code: str):
    if not may_see_region(current_user, code):
        abort(404)
    found = region_page.region_and_live_courses(code)
    if found is None:
        abort(404)
    region, courses = found
    filters = services.RegionFilters.from_args(request.args)
    page = page_arg()
    summary = region_page.rollup_summary(
        current_user, region.code, filters, courses
    ) or services.region_summary(services.region_enrolments(current_user, region.code, filters))
    cohort_stats = region_page.region_cohorts(region.code, courses)
    cohorts = sorted((cohort for cohort, _items in cohort_stats), key=lambda cohort: cohort.name)
    rows = services.candidate_rows(
        region_page.listing_page(current_user, region.code, filters, page),
        courses,
        known_cohorts={cohort.id: cohort for cohort, _items in cohort_stats},
    )
    title = _("Completions in %(region)s", region=region.display_name(select_locale()))

    def chart():
        labels = ChartLabels(
            weekly=_("Completions per week"),
            cumulative=_("Completed, cumulative %%").replace("%%", "%"),
            due=_("Due date"),
            week=_("Week"),
            summary=_("{completed} of {total} completed ({percent}); due {due}"),
            day=formats.date,
            day_month=formats.day_month,
            percent=lambda value: formats.percent(value, 0),
        )
        return completion_chart(
            summary.weeks, total=summary.total, due=summary.due, title=title, labels=labels
        )

    # The chart, the cohort table and the list are drawn inside cached fragments keyed by the
    # values they show (region_page); the chart is built only when its fragment is drawn.
    return render_template(
        "dashboards/region.html",
        region=region,
        filters=filters,
        rows=rows,
        rows_key=region_page.rows_key(rows),
        total=summary.total,
        page=page,
        has_next=page * services.PAGE_SIZE < summary.total,
        courses=courses,
        cohorts=cohorts,
        # The filter form and the export links show these and nothing else.
        filters_key=tuple(filters.as_args().items()),
        cohorts_names=tuple((cohort.id, cohort.name) for cohort in cohorts),
        courses_names=tuple((course.id, course.title) for course in courses),
        cohort_stats=cohort_stats,
        cohorts_key=region_page.cohorts_key(region.code, cohort_stats),
        chart=chart,
        chart_key=region_page.chart_key(title, summary),
        chart_rows=lambda: completion_table(summary.weeks, summary.total),
        has_chart=bool(summary.weeks),
        statuses=status_labels,  # only when a fragment showing them is drawn
        timezone=select_timezone(),
    )


def status_labels() -> dict[str, str]:
    """Enrolment statuses in the reader's language, built once per page or export."""
    return {
        "not_started": _("not started"),
        "on_track": _("on track"),
        "behind": _("behind"),
        "overdue": _("overdue"),
        "completed": _("completed"),
    }


def risk_titles(days: int) -> dict[str, str]:
    """The at-risk lists' headings, shared by the page and its export."""
    return {
        "inactive": ngettext("Inactive for %(num)s day or more", "Inactive for %(num)s days or more", days),
        "failed_quiz": _("Failed a quiz twice without passing it"),
        "overdue": _("Past the due date"),
        "not_started": _("Not started a week after enrolment"),
    }


@bp.app_template_global()
def dashboard_status(status: str) -> str:
    return status_labels().get(status, status)


@bp.route("/candidates/<int:user_id>")
@role_required(*VIEWERS)
def candidate(user_id: int):
    user = candidate_or_404(user_id)
    return render_candidate(candidate_service.candidate_record(user))


def render_candidate(
    record: candidate_service.CandidateRecord, failed: tuple[int, object] | None = None, status: int = 200
):
    """The drill-down page; `failed` is (enrolment id, due-date form) to show again with its errors."""
    due_forms = {}
    for enrolment in record.enrolments:
        if not may_set_due(current_user, enrolment):
            continue
        if failed is not None and failed[0] == enrolment.id:
            due_forms[enrolment.id] = failed[1]
        else:
            due_forms[enrolment.id] = DueOverrideForm(
                prefix=f"due-{enrolment.id}", formdata=None, due_on=enrolment.due_on
            )
    return render_template(
        "dashboards/candidate.html",
        record=record,
        due_forms=due_forms,
        timeline_labels=candidate_service.timeline_labels(),
        reminders=reminders_for(record.user),
    ), status


@bp.route("/at-risk")
@transactions.autocommit_page
@role_required(*VIEWERS)
def at_risk():
    return render_at_risk()


def default_reminder_text() -> str:
    """The reminder's text before the coordinator edits it, in the coordinator's language."""
    return _(
        "Hello! Your course at the Higher Party School is waiting for you. "
        "Please come back and continue; if something is in the way, tell your coordinator."
    )


def render_at_risk(reminder_text: str | None = None, reminder_error: str = "", status: int = 200):
    """The at-risk lists for the query string's filters, with the reminder form under them."""
    region_code = _requested_region()
    days = int_arg("inactive", 7, high=3650)
    only = request.args.get("list") or None
    if only is not None and only not in RISK_KEYS:
        abort(404)
    page = page_arg() if only else 1
    found = risk_page(current_user, region_code=region_code, inactive_days=days, only=only, page=page)
    scope = region_scope(current_user)
    # The region filter is shown only to viewers not limited to one region.
    regions = [] if scope else selectable_regions(current_user)
    return render_template(
        "dashboards/at_risk.html",
        lists=found.lists,
        percent_done=percent_done,
        only=only,
        page=page,
        per_page=AT_RISK_LIMIT,
        titles=lambda: risk_titles(days),  # only when a list's fragment is drawn
        timezone=select_timezone(),
        region_code=region_code,
        days=days,
        regions=regions,
        regions_key=tuple((region.code, region.name_ru, region.name_en) for region in regions),
        scope=scope,
        reminder_text=default_reminder_text() if reminder_text is None else reminder_text,
        reminder_error=reminder_error,
        reminders_left=reminders_left(current_user),
    ), status


@bp.route("/courses/<course_key>")
def course_heatmap(course_key: str):
    """Candidates × modules of a course. Checks as `role_required(*VIEWERS)`, then the live course,
    then the region asked for, as `_requested_region`; the user, course and region are read in
    one statement with the session (lms.dashboards.heatmap.target)."""
    transactions.autocommit()
    requested = request.args.get("region") or None
    user, target = heatmap_page.target(session_token(), course_key, requested)
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    if user.role not in VIEWERS:
        abort(403)
    if target.course_id is None:
        abort(404)
    if requested and (not may_see_region(user, requested) or not target.region_exists):
        abort(404)
    scope = region_scope(user)
    region_code = scope or requested
    page = page_arg()
    data = heatmap_page.heatmap(
        user,
        target,
        region_code=region_code,
        cohort_id=int_arg("cohort", None),
        module_key=request.args.get("module"),
        page=page,
    )
    return render_template(
        "dashboards/heatmap.html",
        data=data,
        page=page,
        region_code=region_code,
        regions=[] if scope else selectable_regions(user),  # the filter is for national viewers only
        scope=scope,
        has_next=page * heatmap_page.PAGE_SIZE < data.total,
        heat_cells=heatmap_page.CellMarkup,
    )


@bp.route("/candidates/<int:user_id>/submissions/<int:submission_id>")
@role_required(*VIEWERS)
def submission(user_id: int, submission_id: int):
    """Read-only view of a candidate's submission and its review history, for coordinators."""
    user = candidate_or_404(user_id)
    report = exercise_reports.candidate_submission(user.id, submission_id)
    if report is None:
        abort(404)
    return render_template(
        "dashboards/submission.html",
        user=user,
        submission=report.submission,
        payload=report.payload,
        grading=report.grading,
        attachments=report.attachments,
    )


@bp.route("/candidates/<int:user_id>/playthroughs/<int:playthrough_id>")
@role_required(*VIEWERS)
def playthrough(user_id: int, playthrough_id: int):
    """Read-only debrief of a candidate's conversation, for coordinators."""
    user = candidate_or_404(user_id)
    report = exercise_reports.finished_playthrough(user.id, playthrough_id)
    if report is None:
        abort(404)
    return render_template(
        "dashboards/playthrough.html",
        user=user,
        playthrough=report.playthrough,
        report=report.debrief,
        payload=report.payload,
    )

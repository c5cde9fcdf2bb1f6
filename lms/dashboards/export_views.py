"""CSV and XLSX downloads of the region list and the at-risk lists: the page's own query, in full."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import User
from lms.audit.services import record
from lms.content.models import Course
from lms.content.services import live_courses
from lms.core.downloads import CSV_TYPE, XLSX_TYPE, attachment, csv_filename, requested_dialect
from lms.core.export import Column, CountingRows, to_csv, to_xlsx
from lms.core.roles import role_required
from lms.core.transactions import start_writing
from lms.core.web import int_arg
from lms.dashboards import services
from lms.dashboards.insights import RISK_KEYS, risk_queries, with_candidates
from lms.dashboards.views import (
    VIEWERS,
    _region_or_404,
    _requested_region,
    bp,
    risk_titles,
    status_labels,
)
from lms.extensions import db
from lms.progress.models import Enrolment

FORMATS = ("csv", "xlsx")


def export_format(fmt: str) -> str:
    """`csv`, `csv-excel-ru` (the CSV for Excel set to Russian, `?dialect=excel-ru`) or `xlsx`."""
    if fmt not in FORMATS:
        abort(404)
    if fmt == "csv":
        dialect = requested_dialect()
        return "csv" if dialect.name == "standard" else f"csv-{dialect.name}"
    return fmt


def send_export(fmt: str, columns: list[Column], rows: Iterable[Mapping[str, object]], name: str) -> Response:
    """The rows as a download named after `name` and the format, never cached (personal data)."""
    if fmt.startswith("csv"):
        dialect = requested_dialect()
        return attachment(to_csv(columns, rows, dialect), csv_filename(name, dialect), CSV_TYPE)
    return attachment(to_xlsx(columns, rows), f"{name}.xlsx", XLSX_TYPE)


def audit_export(action: str, rows: CountingRows, region_code: str | None, details: dict) -> None:
    """Record who downloaded which personal data, and how many rows, once the file is built.

    An export is a GET, a read; this record is the one write such a page makes (as a lesson page
    records the visit): on SQLite in a write transaction of its own, after the rows were read. The
    request commits it as it ends, before the file is sent (the file is built, not streamed).
    """
    start_writing()
    record(
        action,
        target_type="region" if region_code else None,
        target_id=region_code,
        target_label=region_code or "",
        details={**details, "rows": rows.count},
    )


def column_titles() -> dict[str, str]:
    return {
        "full_name": _("Full name"),
        "username": _("Username"),
        "region": _("Region"),
        "cohort": _("Cohort"),
        "course": _("Course"),
        "percent": _("Progress, %%").replace("%%", "%"),
        "lessons_done": _("Items done"),
        "lessons_total": _("Items in course"),
        "status": _("Status"),
        "last_activity": _("Last activity"),
        "due_on": _("Due date"),
        "best_quiz": _("Best quiz result, %%").replace("%%", "%"),
        "quiz_attempts": _("Quiz attempts"),
        "exercises_accepted": _("Assignments accepted"),
        "list": _("List"),
    }


def columns_for(spec: tuple[tuple[str, str], ...]) -> list[Column]:
    titles = column_titles()
    return [Column(key, titles[key], kind) for key, kind in spec]


REGION_COLUMNS = (
    ("full_name", "text"),
    ("username", "text"),
    ("region", "text"),
    ("cohort", "text"),
    ("course", "text"),
    ("percent", "percent"),
    ("lessons_done", "int"),
    ("lessons_total", "int"),
    ("status", "text"),
    ("last_activity", "datetime"),
    ("due_on", "date"),
    ("best_quiz", "percent"),
    ("quiz_attempts", "int"),
    ("exercises_accepted", "int"),
)


def region_values(row: services.CandidateRow, statuses: dict[str, str]) -> dict:
    return {
        "full_name": row.full_name,
        "username": row.username,
        "region": row.region_code,
        "cohort": row.cohort.name if row.cohort else "",
        "course": row.course.title,
        "percent": row.percent,
        "lessons_done": row.lessons_done,
        "lessons_total": row.course.lesson_count,
        "status": statuses.get(row.status, row.status),
        "last_activity": row.last_activity_at,
        "due_on": row.due_on,
        "best_quiz": row.best_quiz,
        "quiz_attempts": row.quiz_attempts,
        "exercises_accepted": row.exercises.get("accepted", 0),
    }


@bp.route("/regions/<code>/export.<fmt>")
@role_required(*VIEWERS)
def export(code: str, fmt: str):
    """Exactly the rows of the region page (same query, same filters), all pages."""
    fmt = export_format(fmt)
    region = _region_or_404(code)
    filters = services.RegionFilters.from_args(request.args)
    statuses = status_labels()
    listing = services.region_listing(current_user, region.code, filters)
    rows = CountingRows(
        region_values(row, statuses) for row in services.candidate_rows(listing, live_courses())
    )
    response = send_export(fmt, columns_for(REGION_COLUMNS), rows, f"region-{region.code}")
    audit_export(
        "export.region",
        rows,
        region.code,
        {"region": region.code, "filters": filters.as_args(), "format": fmt},
    )
    return response


RISK_COLUMNS = (
    ("list", "text"),
    ("full_name", "text"),
    ("username", "text"),
    ("region", "text"),
    ("course", "text"),
    ("percent", "percent"),
    ("status", "text"),
    ("last_activity", "datetime"),
    ("due_on", "date"),
)


@bp.route("/at-risk/export.<fmt>")
@role_required(*VIEWERS)
def export_at_risk(fmt: str):
    """Every row of one at-risk list (?list=), or of all four, with the page's region and days."""
    chosen = request.args.get("list", "")
    fmt = export_format(fmt)
    if chosen and chosen not in RISK_KEYS:
        abort(404)
    region_code = _requested_region()
    days = int_arg("inactive", 7, high=3650)
    queries = risk_queries(current_user, region_code=region_code, inactive_days=days)
    titles, statuses = risk_titles(days), status_labels()
    columns = (
        User.full_name,
        User.username,
        Enrolment.region_code,
        Course.title,
        Course.lesson_count,
        Enrolment.lessons_done,
        Enrolment.status,
        Enrolment.last_activity_at,
        Enrolment.due_on,
    )

    def rows():
        for key in [chosen] if chosen else RISK_KEYS:
            query = with_candidates(queries[key]).with_only_columns(*columns, maintain_column_froms=True)
            for row in db.session.execute(query):
                total = row.lesson_count
                yield {
                    "list": titles[key],
                    "full_name": row.full_name,
                    "username": row.username,
                    "region": row.region_code,
                    "course": row.title,
                    "percent": round(100 * row.lessons_done / total, 1) if total else 0.0,
                    "status": statuses.get(row.status, row.status),
                    "last_activity": row.last_activity_at,
                    "due_on": row.due_on,
                }

    name = "at-risk" + (f"-{chosen}" if chosen else "") + (f"-{region_code}" if region_code else "")
    counted = CountingRows(rows())
    response = send_export(fmt, columns_for(RISK_COLUMNS), counted, name)
    audit_export(
        "export.at_risk",
        counted,
        region_code,
        {"list": chosen or "all", "region": region_code or "", "days": days, "format": fmt},
    )
    return response

"""Attendance at seminar sessions: marks from the list (also sent late by a phone's offline
queue), QR check-ins, the share of sessions a participant attended, and the coordinators' tables.

Services flush, never commit: the request commits once (lms.core.transactions).

This module holds the labels the pages show and is the one entry point for the views, forms and
other domains: it re-exports `attendance_marks.py` (who may take attendance, whom they mark, the
marks), `attendance_checkin.py` (the QR code and checking in with it), `attendance_share.py` (the
share a participant attended, the completion rule's answer) and `attendance_reports.py` (the
coordinators' tables and export).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.seminars.attendance_checkin import (
    check_in,
    checkin_early,
    current_token,
    late_grace,
    qr_step_seconds,
    session_window,
    verify_token,
)
from lms.seminars.attendance_marks import (
    CLIENT_ID,
    NOTE_MAX,
    Marked,
    MarkResult,
    attendance_candidates,
    mark,
    mark_from_list,
    may_take,
    own_mark,
    participant_for,
    session_marks,
)
from lms.seminars.attendance_reports import (
    Report,
    Tally,
    attendance_report,
    export_rows,
    participant_shares,
    report_region,
)
from lms.seminars.attendance_share import (
    AttendanceSummary,
    attendance_percent,
    attendance_summary,
    required_percent,
    sessions_attended,
    sessions_counted,
)

__all__ = [
    "CLIENT_ID",
    "NOTE_MAX",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "AttendanceSummary",
    "MarkResult",
    "Marked",
    "Report",
    "Tally",
    "attendance_candidates",
    "attendance_percent",
    "attendance_report",
    "attendance_summary",
    "check_in",
    "checkin_early",
    "current_token",
    "export_rows",
    "late_grace",
    "mark",
    "mark_from_list",
    "may_take",
    "own_mark",
    "participant_for",
    "participant_shares",
    "qr_step_seconds",
    "report_region",
    "required_percent",
    "session_marks",
    "session_window",
    "sessions_attended",
    "sessions_counted",
    "verify_token",
]

STATUS_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "absent": _l("Absent"),
    "excused": _l("Excused"),
}
SOURCE_LABELS = {"list": _l("List"), "qr": _l("QR code")}

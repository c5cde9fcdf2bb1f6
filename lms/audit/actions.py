"""The catalogue of audit actions: every code `record()` is called with, its label, its group.

A plain registry, read by the log page (labels, the grouped action filter) and by a test that
parses lms/ for `record("...")` calls: an action recorded anywhere must be listed here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# (group key, group label, {action code: label}); the page's action filter shows them in this order.
ACTION_GROUPS = (
    (
        "auth",
        _l("Sign-in"),
        {
            "auth.login": _l("Signed in"),
            "auth.login_failed": _l("Failed sign-in"),
            "auth.logout": _l("Signed out"),
        },
    ),
    (
        "users",
        _l("Users"),
        {
            "user.create": _l("Account created"),
            "user.update": _l("Account changed"),
            "user.deactivate": _l("Account deactivated"),
            "user.reactivate": _l("Account reactivated"),
            "user.invite": _l("Invitation sent"),
        },
    ),
    (
        "passwords",
        _l("Passwords"),
        {
            "password.change": _l("Own password changed"),
            "password.reset": _l("Password reset by link"),
            "password.set": _l("Password set from an invitation"),
            "password.reset_requested": _l("Password reset requested"),
            "password.link_issued": _l("Set-password link issued"),
        },
    ),
    (
        "imports",
        _l("Imports"),
        {
            "user.import": _l("Users imported"),
        },
    ),
    (
        "grading",
        _l("Grading"),
        {
            "grading.claim": _l("Submission taken for review"),
            "grading.take_over": _l("Review taken over from another instructor"),
            "grading.release": _l("Submission released"),
            "grading.return": _l("Submission returned for rework"),
            "grading.accept": _l("Submission accepted"),
            "grading.review_playthrough": _l("Conversation reviewed"),
            "quiz.regrade": _l("Quiz attempts regraded after an answer key changed"),
        },
    ),
    (
        "certificates",
        _l("Certificates"),
        {
            "certificate.revoke": _l("Certificate revoked"),
        },
    ),
    (
        "cohorts",
        _l("Cohorts"),
        {
            "cohort.create": _l("Cohort created"),
            "cohort.update": _l("Cohort changed"),
            "cohort.course": _l("Cohort course or due date set"),
            "cohort.member_add": _l("Members added to a cohort"),
            "cohort.member_remove": _l("Member removed from a cohort"),
            "cohort.archive": _l("Cohort archived"),
            "cohort.unarchive": _l("Cohort taken out of the archive"),
            "due.override": _l("Personal due date changed"),
        },
    ),
    (
        "attendance",
        _l("Seminar attendance"),
        {
            "attendance.mark": _l("Attendance marked"),
        },
    ),
    (
        "staff",
        _l("Course staff"),
        {
            "staff.add": _l("Instructor added to a course"),
            "staff.remove": _l("Instructor removed from a course"),
        },
    ),
    (
        "authoring",
        _l("Authoring"),
        {
            "authoring.save": _l("Course file draft saved"),
            "authoring.create": _l("Course file draft created"),
            "authoring.discard": _l("Course file draft discarded"),
            "authoring.publish": _l("Course published from the browser"),
            "authoring.reorder": _l("Course modules or items reordered (draft)"),
            "authoring.rename": _l("Course file title renamed (draft)"),
            "authoring.move_item": _l("Course item moved to another module (draft)"),
            "authoring.remove": _l("Course file removed (draft)"),
            "authoring.image": _l("Image uploaded for a lesson"),
            "authoring.restore": _l("Earlier version of a course file restored as a draft"),
        },
    ),
    (
        "exports",
        _l("Exports"),
        {
            "export.region": _l("Region list exported"),
            "export.at_risk": _l("At-risk list exported"),
            "export.audit": _l("Audit log exported"),
            "export.certificates": _l("Certificates exported"),
            "export.survey": _l("Survey results exported"),
            "export.attendance": _l("Seminar attendance exported"),
        },
    ),
    (
        "mail",
        _l("Mail"),
        {
            "mail.retry": _l("Message sent again"),
            "reminder.send": _l("Reminder sent to a candidate"),
        },
    ),
    (
        "sessions",
        _l("Sessions"),
        {
            "session.end": _l("Session ended"),
        },
    ),
    (
        "seminars",
        _l("Seminars"),
        {
            "seminar.create": _l("Seminar created"),
            "seminar.update": _l("Seminar changed"),
            "seminar.invite": _l("Invited to a seminar"),
            "seminar.uninvite": _l("Seminar invitation withdrawn"),
            "seminar.session_add": _l("Seminar session added"),
            "seminar.session_update": _l("Seminar session changed"),
            "seminar.session_delete": _l("Seminar session deleted"),
            "seminar.session_move": _l("Seminar session moved"),
            "seminar.material_add": _l("Seminar material uploaded"),
            "seminar.material_delete": _l("Seminar material deleted"),
            "seminar.link_add": _l("Item linked to a seminar session"),
            "seminar.link_delete": _l("Item unlinked from a seminar session"),
        },
    ),
    (
        "audit",
        _l("Audit log"),
        {
            "audit.prune": _l("Old audit records removed"),
        },
    ),
)

ACTIONS = {code: label for _key, _label, actions in ACTION_GROUPS for code, label in actions.items()}

# Readable names for the keys services put in `details`; other keys show as they are.
DETAIL_LABELS = {
    "role": _l("Role"),
    "region": _l("Region"),
    "region_code": _l("Region"),
    "full_name": _l("Full name"),
    "email": _l("Email"),
    "sessions_ended": _l("Sessions ended"),
    "session": _l("Session"),
    "via": _l("Via"),
    "candidate": _l("Candidate"),
    "course": _l("Course"),
    "item": _l("Exercise"),
    "title": _l("Title"),
    "submission": _l("Submission"),
    "playthrough": _l("Conversation"),
    "passed": _l("Passed"),
    "points": _l("Points"),
    "max_points": _l("Out of"),
    "previous_reviewer": _l("Previous reviewer"),
    "comment": _l("Comment"),
    "code": _l("Verification code"),
    "reason": _l("Reason"),
    "text": _l("Text"),
    "filters": _l("Filters"),
    "rows": _l("Row count"),
    "format": _l("Format"),
    "list": _l("List"),
    "days": _l("Days without activity"),
    "due_on": _l("Due date"),
    "personal": _l("Personal"),
    "deleted": _l("Removed"),
    "older_than_days": _l("Older than (days)"),
    "campaign": _l("Campaign"),
    "starts_on": _l("Starts"),
    "ends_on": _l("Ends"),
    "added": _l("Added"),
    "previous_due_on": _l("Previous due date"),
    "changes": _l("Changes"),
    "count": _l("Count"),
    "usernames": _l("Usernames"),
    "username": _l("Username"),
    "members": _l("Members"),
    "enrolments": _l("Enrolments"),
    "instructor": _l("Instructor"),
    "kind": _l("Kind"),
    "last_error": _l("Last error"),
    "purpose": _l("Purpose"),
    "anonymous": _l("Anonymous"),
    "key": _l("Key"),
    "cohort": _l("Cohort"),
    "file": _l("File"),
    "relation": _l("When"),
    "direction": _l("Direction"),
    "fields": _l("Fields changed"),
}
# Keys whose list values are lists (of names); any other two-item list is a change [before, after].
LIST_KEYS = frozenset({"usernames", "fields"})


# What kind of thing a target is (record() derives it from the model's table name).
TARGET_TYPES = {
    "user": _l("user"),
    "region": _l("region"),
    "cohort": _l("cohort"),
    "submission": _l("submission"),
    "outbox": _l("message"),
    "mail": _l("message"),
    "course": _l("course"),
    "user_import": _l("import"),
}


def target_type_label(kind: str) -> str:
    label = TARGET_TYPES.get(kind)
    return str(label) if label is not None else kind


def action_label(code: str) -> str:
    """The action's name in the reader's language; an unknown code (an older release's) as it is."""
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


def detail_value(value: object, *, pair_is_change: bool = True) -> str:
    """One details value as text: [before, after] reads "before → after", mappings "k=v, …"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple):
        if pair_is_change and len(value) == 2:
            return f"{detail_value(value[0])} → {detail_value(value[1])}"
        return ", ".join(detail_value(item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}={detail_value(item)}" for key, item in value.items()) or "—"
    return str(value)


def detail_items(details: dict | None, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs for showing an event's details as "key: value" lines.

    `names` are the DETAIL_LABELS already translated (an export translates them once, not per row).
    """
    return [
        (
            names[key] if names is not None and key in names else str(DETAIL_LABELS.get(key, key)),
            detail_value(value, pair_is_change=key not in LIST_KEYS),
        )
        for key, value in (details or {}).items()
    ]


def translated(labels: dict) -> dict[str, str]:
    """A catalogue's labels in the reader's language, looked up once."""
    return {key: str(label) for key, label in labels.items()}

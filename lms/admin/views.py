"""Administration pages: the landing page, users, invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts.permissions import is_national
from lms.core.roles import Role, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)

# The landing page's sections: endpoint, title, description, who sees it ("admin", "national", "all").
SECTIONS = (
    ("admin.users", _l("Users"), _l("Find, create, edit and deactivate accounts."), "all"),
    ("onboarding.upload", _l("Import users"), _l("Add candidates in bulk from CSV or Excel files."), "all"),
    ("admin.invitations", _l("Invitations"), _l("Who is invited and who has never signed in."), "all"),
    ("dashboards.cohorts", _l("Cohorts"), _l("Training groups, their courses and due dates."), "all"),
    ("course_staff.index", _l("Course staff"), _l("Which instructors teach which courses."), "admin"),
    ("audit.index", _l("Audit log"), _l("Who did what, when and from where."), "admin"),
    ("outbox.index", _l("Outbox"), _l("Mail waiting, sent and failed, with its links."), "admin"),
)


def visible_sections() -> list[tuple[str, str, str]]:
    """The sections this viewer may open (and that exist in this build)."""
    shown = []
    for endpoint, title, description, audience in SECTIONS:
        if endpoint not in current_app.view_functions:
            continue
        if audience == "admin" and current_user.role != Role.ADMIN:
            continue
        if audience == "national" and not is_national(current_user):
            continue
        shown.append((endpoint, str(title), str(description)))
    return shown


@bp.route("/")
@role_required(*MANAGERS)
def index():
    return render_template("admin/index.html", sections=visible_sections())

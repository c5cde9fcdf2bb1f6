"""Administration pages: the landing page, users, invitations."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lms.core.roles import Role, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)


@bp.route("/")
@role_required(*MANAGERS)
def index():
    return render_template("admin/index.html", is_admin=current_user.role == Role.ADMIN)

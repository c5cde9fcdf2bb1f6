"""Authoring pages under /author: the course tree, the editor, preview and publish."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from lms.authoring import rights
from lms.core.roles import login_required

bp = Blueprint("authoring", __name__, url_prefix="/author")


@bp.route("/")
@login_required
def index():
    if not rights.may_author_anything(current_user):
        abort(403)
    return "authoring"

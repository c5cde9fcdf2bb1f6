"""Seminar pages: the list of one's seminars and a seminar's programme."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lms.core.roles import login_required
from lms.seminars import services

bp = Blueprint("seminars", __name__)


@bp.route("/seminars")
@login_required
def index():
    return render_template("seminars/index.html", seminars=services.seminars_for(current_user))


@bp.route("/seminars/<key>")
@login_required
def show(key: str):
    seminar = services.seminar_or_404(key)
    if not services.may_view(current_user, seminar):
        abort(404)
    return render_template("seminars/show.html", seminar=seminar)

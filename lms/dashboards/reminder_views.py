"""Reminders from the at-risk lists: a coordinator picks candidates in their scope and writes to them."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.models import User
from lms.core.errors import ValidationError
from lms.core.roles import role_required
from lms.dashboards.views import VIEWERS, bp, render_at_risk
from lms.extensions import db
from lms.notifications.services import path_for, send_reminders
from lms.progress.visibility import visible_candidates

MAX_CHOSEN = 500  # a page shows at most four lists of fifty; a forged form gets no further


@bp.route("/at-risk/remind", methods=["POST"])
@role_required(*VIEWERS)
def remind():
    ids = sorted({value for value in request.form.getlist("candidate", type=int)})
    if len(ids) > MAX_CHOSEN:
        abort(400)
    candidates = list(
        db.session.scalars(visible_candidates(current_user).where(User.id.in_(ids)).order_by(User.id))
    )
    if len(candidates) != len(ids):
        # Somebody outside the viewer's scope (or no candidate at all): nothing is sent to anyone.
        abort(403)
    text = request.form.get("text", "")
    try:
        count = send_reminders(current_user, candidates, text, link=path_for("progress.home"))
    except ValidationError as error:
        db.session.rollback()
        status = 429 if error.code == "rate_limited" else 400
        return render_at_risk(reminder_text=text, reminder_error=str(error.message), status=status)
    flash(
        ngettext("Reminder sent to %(num)s candidate.", "Reminder sent to %(num)s candidates.", count),
        "success",
    )
    return redirect(url_for("dashboards.at_risk", **request.args))

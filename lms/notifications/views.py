"""A user's notifications: the list, marking read (POST only) and opening one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.core.web import page_arg
from lms.notifications import services
from lms.notifications.texts import notification_detail, notification_text

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
bp.add_app_template_global(notification_text)
bp.add_app_template_global(notification_detail)


def local_href(path: str) -> str | None:
    """A stored link as an address in this app (its script root in front); None for anything
    that is not a plain path here."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return request.script_root + path


@bp.route("/")
@login_required
def index():
    page = page_arg()
    listing = services.notification_page(current_user, page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template("notifications/index.html", listing=listing, local_href=local_href)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    if services.own_notification(current_user, notification_id) is None:
        abort(404)
    services.mark_read(current_user, notification_id)
    flash(_("Marked as read."), "success")
    return redirect(url_for("notifications.index", page=request.form.get("page", type=int) or None))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = services.mark_all_read(current_user)
    flash(
        ngettext("%(num)s notification marked as read.", "%(num)s notifications marked as read.", count),
        "success",
    )
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Mark read and go where the notification leads (back to the list if it leads nowhere)."""
    notification = services.own_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(current_user, notification_id)
    return redirect(local_href(notification.link) or url_for("notifications.index"))

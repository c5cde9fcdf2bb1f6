"""The outbox page for admins: queued, sent and failed messages, with their links."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from lms.core.roles import Role, role_required
from lms.core.web import page_arg
from lms.extensions import db
from lms.mail.models import STATUSES, OutboxMessage
from lms.mail.sender import mail_configured
from lms.mail.services import list_messages, send_again, status_counts

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

# http(s) only; a trailing full stop, comma or bracket belongs to the sentence, not the address.
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)»"


def linkify(text: str) -> Markup:
    """Escape the whole text and turn only http(s) URLs into links (a message body shown to admins)."""
    parts: list[str | Markup] = []
    position = 0
    for match in URL_RE.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        parts.append(text[position : match.start()])  # plain text: escaped by the join below
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))  # format() escapes the URL
        position = match.start() + len(url)
    parts.append(text[position:])
    return Markup("").join(parts)


@bp.after_request
def _no_store(response):
    """Bodies hold live set-password links: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    search = request.args.get("q", "")[:200]
    page = page_arg()
    listing = list_messages(status=status or None, search=search, page=page)
    return render_template(
        "outbox/index.html",
        listing=listing,
        status=status,
        search=search,
        counts=status_counts(),
        mail_configured=mail_configured(),
    )


@bp.route("/<int:message_id>")
@role_required(Role.ADMIN)
def message(message_id: int):
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template(
        "outbox/message.html",
        message=found,
        body=linkify(found.body_text),
        mail_configured=mail_configured(),
    )


@bp.route("/<int:message_id>/send-again", methods=["POST"])
@role_required(Role.ADMIN)
def retry(message_id: int):
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    if send_again(found):
        flash(_("The message is queued again."), "success")
    else:
        flash(_("Only a message that failed can be sent again."), "error")
    return redirect(url_for("outbox.message", message_id=message_id))

"""Queueing mail. A message is rendered now, in the recipient's language, and written to the outbox
in the caller's transaction: if the action rolls back, so does its mail; nothing is sent from a request."""

from __future__ import annotations

import secrets
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

from lms.extensions import db
from lms.mail.models import OutboxMessage


def enqueue(
    kind: str,
    *,
    to_address: str,
    to_name: str = "",
    locale: str | None = None,
    user_id: int | None = None,
    context: dict | None = None,
) -> OutboxMessage:
    """Render templates/mail/<kind>_subject.txt, <kind>.txt and <kind>.html and queue the message."""
    locale = (
        locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    )
    context = {"to_name": to_name, "lang": locale, **(context or {})}
    with force_locale(locale):
        subject = " ".join(render_template(f"mail/{kind}_subject.txt", **context).split())
        body_text = render_template(f"mail/{kind}.txt", **context)
        body_html = render_template(f"mail/{kind}.html", **context)
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN") or "lms.local"
    message = OutboxMessage(
        kind=kind,
        user_id=user_id,
        to_address=to_address,
        to_name=to_name,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        message_id=make_msgid(idstring=secrets.token_hex(8), domain=domain),
    )
    db.session.add(message)
    db.session.flush()
    return message

"""Queueing mail. A message is rendered now, in the recipient's language, and written to the outbox
in the caller's transaction: if the action rolls back, so does its mail; nothing is sent from a request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from lms.audit.services import record
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import STATUSES, OutboxMessage


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
    # Written with the caller's next flush: a bulk import's invitations go out in a few INSERTs.
    db.session.add(message)
    return message


PER_PAGE = 25


@dataclass
class OutboxPage:
    messages: list[OutboxMessage]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def list_messages(*, status: str | None = None, search: str = "", page: int = 1) -> OutboxPage:
    """The outbox newest first, optionally of one status and with a recipient matching `search`."""
    query = sa.select(OutboxMessage)
    if status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    search = search.strip()
    if search:
        query = query.where(
            sa.or_(
                OutboxMessage.to_address.icontains(search, autoescape=True),
                OutboxMessage.to_name.icontains(search, autoescape=True),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    messages = db.session.scalars(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return OutboxPage(list(messages), total, page)


def status_counts() -> dict[str, int]:
    """How many messages have each status (every status present, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    rows = db.session.execute(sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status))
    counts.update({status: count for status, count in rows})
    return counts


def send_again(message: OutboxMessage) -> bool:
    """Put a failed message back in the queue with a fresh count of attempts (audited).

    False when the message is not failed (already sent again, by another admin or a double click).
    """
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), claim_token=None, claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        return False
    record(
        "mail.retry",
        target_type="mail",
        target_id=message.id,
        target_label=message.to_address,
        details={"kind": message.kind, "last_error": message.last_error[:200]},
    )
    db.session.flush()
    db.session.refresh(message)
    return True

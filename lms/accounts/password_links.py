"""Set-password links handed out: an invitation, a reset the user asks for or a manager sends
(both mailed), and a link a manager hands over to a user without email.

They share one way of mailing a link (`_mail_link`: only to an active user with an address) and
the token's purposes (lms.accounts.tokens); each hand-out is audited, never the link itself.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from lms.accounts.credentials import find_user_by_login
from lms.accounts.models import User
from lms.accounts.tokens import Purpose, set_password_link
from lms.audit.services import record
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.mail.services import enqueue


def _mail_link(user: User, kind: str, purpose: Purpose, **context: object) -> bool:
    """Queue mail `kind` carrying a set-password link to an active user with an address."""
    if not user.email or not user.is_active_account:
        return False
    enqueue(
        kind,
        to_address=user.email,
        to_name=user.display_name,
        locale=user.locale,
        user_id=user.id,
        context={"user": user, "link": set_password_link(user, purpose), **context},
    )
    return True


def send_invitation(user: User, *, audit: bool = True) -> bool:
    """Queue a set-password link to the user's email; False when there is no address to send to."""
    days = current_app.config["INVITATION_MAX_AGE"].days
    if not _mail_link(user, "invitation", Purpose.INVITATION, valid_days=days):
        return False
    user.invited_at = utcnow()
    if audit:
        record("user.invite", target=user)
    return True


def request_password_reset(identifier: str) -> bool:
    """Queue a reset link for the account a username or email names, if any and if allowed.

    The caller answers the same whatever this returns: nobody learns whether an account exists.
    At most RESET_MAILS_PER_HOUR links per account per hour (a mail bomb stays small).
    """
    user = find_user_by_login(identifier)
    if user is None or not user.email or not user.is_active_account:
        return False
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.user_id == user.id,
            OutboxMessage.kind == "password_reset",
            OutboxMessage.created_at >= since,
        )
    )
    if recent >= current_app.config["RESET_MAILS_PER_HOUR"]:
        return False
    return send_password_reset(user, actor=user)


def send_password_reset(user: User, *, actor: User | None = None) -> bool:
    """Queue a reset link to the user's email (the user asked, or a manager sent it for them)."""
    minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60)
    if not _mail_link(user, "password_reset", Purpose.RESET, valid_minutes=minutes):
        return False
    record("password.reset_requested", target=user, actor=actor)
    return True


def issue_set_password_link(user: User) -> str:
    """A set-password link for a manager to hand over (a user without email): invitation if the
    account has no password yet, reset otherwise. Audited; the link itself is never stored."""
    purpose = Purpose.RESET if user.has_password else Purpose.INVITATION
    record("password.link_issued", target=user, details={"purpose": purpose.value})
    return set_password_link(user, purpose)

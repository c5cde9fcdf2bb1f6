"""The outbox worker: claim due messages, send them over SMTP, record what happened.

Nothing is lost and nothing goes out twice on purpose:
- a claim (status 'sending', a token, `claimed_until`) is COMMITTED before any SMTP traffic, so a
  second worker skips the message (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one UPDATE under
  the database's write lock);
- right before a message is handed to the server its claim is renewed for MAIL_CLAIM_TIMEOUT;
- a worker killed mid-send leaves the claim behind; when it lapses, the next worker sends again
  (with the same Message-ID, so a receiving system can tell it is the same message);
- every outcome is written only where the claim token still matches: a worker whose claim lapsed
  and was taken over changes nothing.

The worker owns its transactions, as a CLI command does: each claim and each outcome is committed
at once, and no transaction stays open while the SMTP server is talking.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime

import sqlalchemy as sa
from flask import current_app

from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage

SECURITY_MODES = ("starttls", "ssl", "none")
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
ERROR_LENGTH = 300
# Errors about this one message; the connection stays usable for the next.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)
# Bodies in base64 or quoted-printable: 7-bit clean for any relay, whether it speaks 8BITMIME or not.
MAIL_POLICY = default_policy.clone(cte_type="7bit")


@dataclass(frozen=True)
class Claimed:
    """What the worker needs of one claimed message, read before the claim's transaction ends."""

    id: int
    token: str
    to_address: str
    to_name: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    attempts: int


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying
        self.released += other.released
        self.errors += other.errors

    @property
    def anything(self) -> bool:
        return bool(self.sent or self.failed or self.retrying or self.released)


class ConnectionFailed(Exception):
    """The SMTP server could not be reached or refused the session (not one message)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(describe_error(error))
        self.error = error


def mail_configured() -> bool:
    """True when this server sends mail; otherwise messages wait in the outbox for an admin."""
    return bool(current_app.config.get("MAIL_SERVER"))


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failure: 1, 2, 4 ... minutes, at most 6 h."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20), LONGEST_RETRY)


def _due(now: datetime):
    return sa.or_(
        sa.and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def claim_due(limit: int, *, now: datetime | None = None) -> list[Claimed]:
    """Claim up to `limit` due messages for this worker; flushes, the caller commits the claim.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, then UPDATE those rows, so concurrent workers
    take disjoint batches without waiting for each other. SQLite: a single UPDATE ... RETURNING, the
    transaction's first statement, so it takes the write lock before reading and claims serialise.
    """
    now = now or utcnow()
    token = secrets.token_hex(16)
    claim = {
        "status": "sending",
        "claim_token": token,
        "claimed_until": now + current_app.config["MAIL_CLAIM_TIMEOUT"],
    }
    due = (
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            return []
        db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**claim),
            execution_options={"synchronize_session": False},
        )
    else:
        ids = list(
            db.session.scalars(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(**claim)
                .returning(OutboxMessage.id),
                execution_options={"synchronize_session": False},
            )
        )
        if not ids:
            return []
    rows = db.session.execute(
        sa.select(
            OutboxMessage.id,
            OutboxMessage.to_address,
            OutboxMessage.to_name,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.message_id,
            OutboxMessage.attempts,
        )
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    return [Claimed(token=token, **row._asdict()) for row in rows]


def _owned(claimed: Claimed):
    return sa.update(OutboxMessage).where(
        OutboxMessage.id == claimed.id,
        OutboxMessage.claim_token == claimed.token,
        OutboxMessage.status == "sending",
    )


def _write(statement) -> bool:
    """Run one claim-guarded UPDATE and commit it; False when the claim was no longer ours."""
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    db.session.commit()
    return result.rowcount == 1


def renew_claim(claimed: Claimed) -> bool:
    """Give the message a full claim window before talking to the server about it."""
    until = utcnow() + current_app.config["MAIL_CLAIM_TIMEOUT"]
    return _write(_owned(claimed).values(claimed_until=until))


def mark_sent(claimed: Claimed) -> bool:
    return _write(
        _owned(claimed).values(status="sent", sent_at=utcnow(), claim_token=None, claimed_until=None)
    )


def mark_failed(claimed: Claimed, error: str, *, permanent: bool) -> str:
    """Count a failed attempt: back to 'pending' after a backoff, or 'failed' for good.

    Returns the status written ("pending" or "failed"), or "" when the claim was no longer ours.
    """
    attempts = claimed.attempts + 1
    give_up = permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    status = "failed" if give_up else "pending"
    values = {"status": status, "attempts": attempts, "last_error": error[:ERROR_LENGTH]}
    if not give_up:
        values["next_attempt_at"] = utcnow() + backoff(attempts)
    if not _write(_owned(claimed).values(**values, claim_token=None, claimed_until=None)):
        return ""
    return status


def release(claimed: Claimed) -> bool:
    """Hand an untried message back (the worker is stopping): due again at once, no attempt counted."""
    return _write(_owned(claimed).values(status="pending", claim_token=None, claimed_until=None))


def _ascii_domain(address: str) -> str:
    """user@почта.рф -> user@xn--80a1acny.xn--p1ai, so only a non-ASCII local part needs SMTPUTF8."""
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def compose(claimed: Claimed, *, sender: str, now: datetime | None = None) -> EmailMessage:
    """The message as sent: multipart/alternative (plain text, then HTML), headers encoded by the
    standard library (names and subjects in Cyrillic become RFC 2047 encoded words)."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    name = " ".join(claimed.to_name.split())  # no line breaks can reach a header
    address = _ascii_domain(claimed.to_address.strip())
    message["To"] = Address(display_name=name, addr_spec=address)  # raises on a malformed address
    message["Subject"] = " ".join(claimed.subject.split())
    message["Date"] = format_datetime(now or utcnow())
    message["Message-ID"] = claimed.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(claimed.body_text)
    if claimed.body_html:
        message.add_alternative(claimed.body_html, subtype="html")
    return message


def open_connection() -> smtplib.SMTP:
    """Connect (and STARTTLS, and log in) as MAIL_* say; raises ConnectionFailed."""
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    security = config["MAIL_SECURITY"]
    connection: smtplib.SMTP | None = None
    try:
        if security == "ssl":
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except (OSError, smtplib.SMTPException) as error:
        if connection is not None:
            connection.close()
        raise ConnectionFailed(error) from error
    return connection


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def describe_error(error: BaseException) -> str:
    """A short, secret-free line for last_error: the server's code and words, or the exception."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
        text = f"{code} {_text(reply)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    elif isinstance(error, TimeoutError):
        text = "timed out"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:ERROR_LENGTH]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer to this message's recipient or content, or an address the server cannot
    take: sending it again will not help. Anything else (4xx, a dropped connection) is retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return isinstance(error, smtplib.SMTPNotSupportedError | UnicodeError | ValueError)


def _fail(report: SendReport, claimed: Claimed, error: str, *, permanent: bool) -> None:
    status = mark_failed(claimed, error, permanent=permanent)
    if status == "failed":
        report.failed += 1
    elif status == "pending":
        report.retrying += 1
    report.errors.append(f"#{claimed.id}: {error}")


def send_batch(batch: list[Claimed], *, should_stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Send claimed messages over one SMTP connection (reopened if the server drops it)."""
    report = SendReport()
    sender = current_app.config["MAIL_SENDER"]
    connection: smtplib.SMTP | None = None
    try:
        for position, claimed in enumerate(batch):
            if should_stop():
                report.released += sum(release(rest) for rest in batch[position:])
                break
            if not renew_claim(claimed):
                continue  # our claim lapsed and another worker has the message now
            try:
                email = compose(claimed, sender=sender)
            except (ValueError, UnicodeError, MessageError) as error:
                _fail(report, claimed, f"compose: {describe_error(error)}", permanent=True)
                continue
            if connection is None:
                try:
                    connection = open_connection()
                except ConnectionFailed as failure:
                    # The server is out of reach: every message left in the batch waits its turn.
                    for rest in batch[position:]:
                        _fail(report, rest, f"connect: {failure}", permanent=False)
                    break
            try:
                connection.send_message(email)
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPDataError,
                smtplib.SMTPNotSupportedError,
            ) as error:
                _fail(report, claimed, describe_error(error), permanent=is_permanent(error))
            except (OSError, smtplib.SMTPException) as error:
                # The connection broke (or the sender was refused): retry later on a fresh one.
                _fail(report, claimed, describe_error(error), permanent=False)
                connection.close()
                connection = None
            else:
                mark_sent(claimed)  # sent either way; a lost claim means someone may send it again
                report.sent += 1
    finally:
        _close(connection)
        db.session.rollback()  # nothing open: every outcome above was committed as it happened
    return report


def deliver_due(batch_size: int = 50, *, should_stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Claim and send batches until nothing is due (or `should_stop`); the cron run, one loop turn."""
    report = SendReport()
    if not mail_configured():
        return report  # messages wait in the outbox; nothing here may claim them
    while not should_stop():
        db.session.commit()  # start the claim in a fresh transaction (SQLite: its first statement)
        batch = claim_due(batch_size)
        db.session.commit()  # the claim is durable before any SMTP traffic
        if not batch:
            break
        report.add(send_batch(batch, should_stop=should_stop))
    return report


def waiting_count() -> int:
    """Messages still to go out (pending or being sent)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_(("pending", "sending")))
    )

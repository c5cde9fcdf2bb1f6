"""Mail fixtures: a real SMTP server (aiosmtpd) on 127.0.0.1, and queued invitations."""

from __future__ import annotations

import asyncio
import email
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage


@dataclass
class Mailbox:
    """The test server's handler: keeps what it accepted, answers as the test tells it to."""

    envelopes: list = field(default_factory=list)
    rcpt_reply: str | None = None  # e.g. "451 4.3.0 Try again later" for every RCPT TO
    data_reply: str | None = None  # e.g. "554 5.6.0 Rejected" after the message's content
    delay: float = 0.0  # seconds before answering DATA (lets concurrent workers overlap)
    logins: list = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]

    def message_ids(self) -> list[str]:
        # A long Message-ID may be folded onto its own line; the parser keeps the fold's space.
        return [str(message["Message-ID"]).strip() for message in self.messages()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(mailbox: Mailbox, **kwargs) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp(app) -> Iterator[Mailbox]:
    """A real SMTP server on a free local port; the app is configured to send through it."""
    mailbox = Mailbox()
    controller = start_server(mailbox)
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_SECURITY="none",
        MAIL_USERNAME=None,
        MAIL_TIMEOUT=10.0,
    )
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_with_login(app) -> Iterator[Mailbox]:
    """An SMTP server that refuses mail until the client logs in as school / s3cret-pass."""
    mailbox = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        mailbox.logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"school" and auth_data.password == b"s3cret-pass"
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself

    controller = start_server(
        mailbox, authenticator=authenticator, auth_required=True, auth_require_tls=False
    )
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SECURITY="none", MAIL_TIMEOUT=10.0
    )
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def invite(app) -> Callable[..., OutboxMessage]:
    """Factory: create an invited account and queue its invitation (committed); returns the message."""
    from lms.accounts.services import create_user, send_invitation

    counter = iter(range(1, 1_000_000))

    def make(
        full_name: str = "Анна Петрова", *, email: str | None = None, locale: str | None = None
    ) -> OutboxMessage:
        number = next(counter)
        db.session.rollback()  # a fresh transaction: another process may have written meanwhile
        user = create_user(
            f"invitee{number}",
            None,
            "candidate",
            region_code="77",
            full_name=full_name,
            email=email or f"invitee{number}@example.org",
        )
        user.locale = locale
        assert send_invitation(user)
        db.session.commit()
        return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id)).one()

    return make


def reload(message_id: int) -> OutboxMessage:
    """The row as the database has it now (another session or process may have changed it)."""
    db.session.rollback()
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def make_due(*message_ids: int) -> None:
    """Pretend the backoff has passed: the messages are due again now."""
    db.session.rollback()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def wait_for(check: Callable[[], object], *, timeout: float = 30.0, what: str = "a condition") -> object:
    """Poll `check` until it returns something true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)

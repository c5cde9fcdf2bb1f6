"""`flask lms send-mail` against a real SMTP server: delivery, headers, language, retries, claims."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.core.time import utcnow
from lms.extensions import db
from lms.mail import sender
from lms.mail.models import OutboxMessage
from lms.mail.sender import Claimed, backoff, claim_due, compose, mark_failed, mark_sent
from tests.mail.conftest import make_due, reload

# The login tests' server takes AUTH without TLS (no certificate here); aiosmtpd warns about it.
PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
SUMMARY_ONE_SENT = "Отправлено: 1, не доставлено: 0, повторная попытка позже: 0."


def send(runner, *args: str):
    result = runner.invoke(args=["lms", "send-mail", *args])
    assert result.exit_code == 0, result.output
    return result


def test_invitation_is_delivered_once_with_both_parts(runner, smtp, invite, app):
    queued = invite("Анна Петрова", email="anna@example.org")
    link = queued.body_text.split("http", 1)[1].split()[0]
    link = "http" + link

    result = send(runner)
    assert SUMMARY_ONE_SENT in result.output
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.mail_from == "noreply@localhost"
    assert envelope.rcpt_tos == ["anna@example.org"]
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii() and b"=?utf-8?" in raw_headers  # Cyrillic names encoded, not raw

    mail = smtp.messages()[0]
    assert mail["To"].addresses[0].display_name == "Анна Петрова"
    assert mail["To"].addresses[0].addr_spec == "anna@example.org"
    assert mail["From"].addresses[0].display_name == "Высшая партийная школа"
    assert str(mail["Subject"]) == "Ваша учётная запись в Высшей партийной школе"
    assert str(mail["Message-ID"]).strip() == queued.message_id
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"].datetime.tzinfo is not None
    assert mail.get_content_type() == "multipart/alternative"
    text, html = mail.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert link in text.get_content() and "Здравствуйте, Анна Петрова!" in text.get_content()
    assert f'<a href="{link}">' in html.get_content()
    assert "Высшая партийная школа" in text.get_content().split("\n-- \n", 1)[1]  # the footer

    row = reload(queued.id)
    assert (row.status, row.attempts, row.claim_token) == ("sent", 0, None)
    assert row.sent_at is not None

    send(runner)  # nothing is due any more
    assert len(smtp.envelopes) == 1


@pytest.mark.parametrize(
    ("locale", "subject", "greeting"),
    [
        ("en", "Your account at the Higher Party School", "Hello, Ann Smith!"),
        ("ru", "Ваша учётная запись в Высшей партийной школе", "Здравствуйте, Ann Smith!"),
        (None, "Ваша учётная запись в Высшей партийной школе", "Здравствуйте, Ann Smith!"),
    ],
)
def test_language_follows_the_recipient(runner, smtp, invite, locale, subject, greeting):
    invite("Ann Smith", locale=locale)
    send(runner)
    (mail,) = smtp.messages()
    assert str(mail["Subject"]) == subject
    text, html = mail.iter_parts()
    assert greeting in text.get_content() and greeting in html.get_content()
    assert f'<html lang="{locale or "ru"}">' in html.get_content()


def test_names_are_escaped_in_html_and_quoted_in_headers(runner, smtp, invite):
    name = 'Bob <b>"the Boss"</b> & Co, Ltd'
    invite(name)
    send(runner)
    (mail,) = smtp.messages()
    assert mail["To"].addresses[0].display_name == name
    text, html = mail.iter_parts()
    assert f"Здравствуйте, {name}!" in text.get_content()
    assert "Bob &lt;b&gt;&#34;the Boss&#34;&lt;/b&gt; &amp; Co, Ltd" in html.get_content()
    assert "<b>" not in html.get_content()


@pytest.mark.parametrize(
    ("hook", "reply", "status", "summary"),
    [
        ("rcpt_reply", "451 4.3.0 Try again later", "pending", "повторная попытка позже: 1"),
        ("data_reply", "451 4.3.0 Try again later", "pending", "повторная попытка позже: 1"),
        ("rcpt_reply", "550 5.1.1 No such user", "failed", "не доставлено: 1"),
        ("data_reply", "554 5.6.0 Message rejected", "failed", "не доставлено: 1"),
    ],
)
def test_refusals_retry_or_fail(runner, smtp, invite, hook, reply, status, summary):
    queued = invite()
    setattr(smtp, hook, reply)
    before = utcnow()
    result = send(runner)
    after = utcnow()
    assert summary in result.output and f"#{queued.id}: {reply}" in result.output
    assert smtp.envelopes == []
    row = reload(queued.id)
    assert (row.status, row.attempts, row.last_error, row.claim_token) == (status, 1, reply, None)
    if status == "pending":
        assert before + timedelta(minutes=1) <= row.next_attempt_at <= after + timedelta(minutes=1)


def test_a_retried_message_waits_for_its_backoff_then_goes(runner, smtp, invite):
    queued = invite()
    smtp.rcpt_reply = "451 4.7.1 Greylisted"
    send(runner)
    smtp.rcpt_reply = None
    send(runner)  # not due yet: the backoff has not passed
    assert smtp.envelopes == [] and reload(queued.id).status == "pending"
    make_due(queued.id)
    send(runner)
    assert smtp.message_ids() == [queued.message_id]
    row = reload(queued.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "451 4.7.1 Greylisted")


def test_failed_after_max_attempts(runner, smtp, invite, app):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    queued = invite()
    smtp.rcpt_reply = "421 4.3.2 Service not available"
    statuses = []
    for _ in range(3):
        send(runner)
        statuses.append((reload(queued.id).status, reload(queued.id).attempts))
        make_due(queued.id)
    assert statuses == [("pending", 1), ("pending", 2), ("failed", 3)]
    smtp.rcpt_reply = None
    send(runner)  # a failed message stays failed until an admin sends it again
    assert smtp.envelopes == []


def test_backoff_doubles_from_a_minute_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 256)]
    assert backoff(10) == backoff(1000) == timedelta(hours=6)


def test_unreachable_server_keeps_every_message(runner, invite, app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SECURITY="none", MAIL_TIMEOUT=5.0)
    first, second = invite(), invite()
    result = send(runner)
    assert "повторная попытка позже: 2" in result.output
    for message_id in (first.id, second.id):
        row = reload(message_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error.startswith("connect: ConnectionRefusedError")


def test_a_malformed_address_fails_alone(runner, smtp, invite):
    bad = OutboxMessage(
        kind="invitation", to_address="two@@example.org", subject="S", body_text="T", message_id="<b@x>"
    )
    db.session.add(bad)
    db.session.commit()
    good = invite()
    result = send(runner)
    assert "Отправлено: 1, не доставлено: 1" in result.output
    row = reload(bad.id)
    assert (row.status, row.attempts) == ("failed", 1) and row.last_error.startswith(
        "compose: HeaderParseError"
    )
    assert smtp.message_ids() == [good.message_id]


def test_without_a_server_nothing_is_sent(runner, invite, app):
    app.config["MAIL_SERVER"] = None
    queued = invite()
    result = send(runner)
    assert "MAIL_SERVER не задан" in result.output and "Ждут отправки: 1" in result.output
    row = reload(queued.id)
    assert (row.status, row.attempts) == ("pending", 0)


def test_unknown_security_mode_is_refused(runner, smtp, app):
    app.config["MAIL_SECURITY"] = "tls"
    result = runner.invoke(args=["lms", "send-mail"])
    assert result.exit_code != 0 and "MAIL_SECURITY" in result.output


@PLAIN_AUTH
def test_logs_in_when_a_username_is_set(runner, smtp_with_login, invite, app):
    app.config.update(MAIL_USERNAME="school", MAIL_PASSWORD="s3cret-pass")
    queued = invite()
    send(runner)
    assert smtp_with_login.logins == [(b"school", b"s3cret-pass")]
    assert smtp_with_login.message_ids() == [queued.message_id]


@PLAIN_AUTH
def test_a_refused_login_is_retried_and_keeps_no_secret(runner, smtp_with_login, invite, app):
    app.config.update(MAIL_USERNAME="school", MAIL_PASSWORD="wrong-password")
    queued = invite()
    send(runner)
    row = reload(queued.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("connect: 535") and "wrong-password" not in row.last_error


def test_a_live_claim_is_left_alone_and_a_lapsed_one_is_taken(runner, smtp, invite):
    queued = invite()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == queued.id)
        .values(status="sending", claim_token="another-worker", claimed_until=utcnow() + timedelta(hours=1))
    )
    db.session.commit()
    send(runner)
    assert smtp.envelopes == []
    assert reload(queued.id).claim_token == "another-worker"

    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == queued.id)
        .values(claimed_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    send(runner)
    assert smtp.message_ids() == [queued.message_id]
    assert reload(queued.id).status == "sent"


def test_claims_are_disjoint_and_committed_outcomes_need_the_token(app, invite):
    ids = {invite().id for _ in range(3)}
    db.session.rollback()
    first = claim_due(2)
    db.session.commit()
    second = claim_due(2)
    db.session.commit()
    assert len(first) == 2 and len(second) == 1
    assert {c.id for c in first} | {c.id for c in second} == ids
    assert claim_due(5) == []
    db.session.commit()

    # Another worker took the first message over after our claim lapsed: we may not touch it.
    taken = first[0]
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == taken.id).values(claim_token="other-token")
    )
    db.session.commit()
    assert mark_sent(taken) is False
    assert mark_failed(taken, "451 later", permanent=False) == ""
    row = reload(taken.id)
    assert (row.status, row.claim_token, row.attempts, row.sent_at) == ("sending", "other-token", 0, None)
    assert mark_sent(first[1]) is True and reload(first[1].id).status == "sent"


def test_stopping_hands_untried_messages_back(app, smtp, invite):
    ids = [invite().id for _ in range(3)]
    db.session.rollback()
    batch = claim_due(10)
    db.session.commit()
    calls = iter([False, True])  # stop after the first message
    report = sender.send_batch(batch, should_stop=lambda: next(calls, True))
    assert (report.sent, report.released) == (1, 2)
    assert [reload(i).status for i in ids] == ["sent", "pending", "pending"]
    assert reload(ids[1]).claim_token is None and reload(ids[1]).attempts == 0


def _claimed(**overrides) -> Claimed:
    values = {
        "id": 1,
        "token": "t",
        "to_address": "anna@example.org",
        "to_name": "Анна",
        "subject": "Тема",
        "body_text": "Текст",
        "body_html": "",
        "message_id": "<1.abc@lms.local>",
        "attempts": 0,
    }
    return Claimed(**(values | overrides))


def test_compose_keeps_line_breaks_out_of_headers_and_encodes_idn_domains():
    message = compose(
        _claimed(to_name="Анна\r\nBcc: evil@example.org", to_address="anna@почта.рф", subject="A\nB"),
        sender="School <noreply@example.org>",
    )
    assert "Bcc" not in message and message["Subject"] == "A B"
    assert message["To"].addresses[0].display_name == "Анна Bcc: evil@example.org"
    assert message["To"].addresses[0].domain == "xn--80a1acny.xn--p1ai"
    assert message.get_content_type() == "text/plain"  # no HTML part queued, none sent
    assert message.as_bytes().isascii()

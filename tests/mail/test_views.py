"""The outbox pages: admins only, filters and pages, a message with its links, "Send again"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.mail.services import enqueue
from lms.mail.views import linkify
from tests.mail.conftest import reload


@pytest.fixture
def admin(make_user, auth):
    user = make_user("root", role="admin")
    auth.login("root")
    return user


def add_message(to_address: str, *, status: str = "pending", age_minutes: int = 0, **values) -> OutboxMessage:
    message = OutboxMessage(
        kind="invitation",
        to_address=to_address,
        to_name=values.pop("to_name", ""),
        subject=values.pop("subject", f"Subject for {to_address}"),
        body_text=values.pop("body_text", "Hello"),
        message_id=f"<{to_address}>",
        status=status,
        created_at=utcnow() - timedelta(minutes=age_minutes),
        **values,
    )
    db.session.add(message)
    db.session.commit()
    return message


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-message="(\d+)">', html)


@pytest.mark.parametrize(
    ("role", "expected"), [("coordinator", 403), ("instructor", 403), ("candidate", 403)]
)
def test_only_admins_see_the_outbox(client, auth, make_user, role, expected):
    assert client.get("/admin/outbox/").status_code == 302  # anonymous: to the login page
    make_user("someone", role=role)
    auth.login("someone")
    assert client.get("/admin/outbox/").status_code == expected
    message = add_message("a@example.org")
    assert client.get(f"/admin/outbox/{message.id}").status_code == expected
    assert auth.post(f"/admin/outbox/{message.id}/send-again").status_code == expected


def test_list_is_newest_first_with_status_filter_and_recipient_search(client, admin):
    old = add_message("old@example.org", status="sent", age_minutes=30)
    failed = add_message("maria@example.org", status="failed", age_minutes=20, to_name="Мария Иванова")
    new = add_message("new@example.org", age_minutes=10)
    html = client.get("/admin/outbox/").get_data(as_text=True)
    assert rows(html) == [str(new.id), str(failed.id), str(old.id)]
    assert rows(client.get("/admin/outbox/?status=failed").get_data(as_text=True)) == [str(failed.id)]
    assert rows(client.get("/admin/outbox/?q=MARIA@").get_data(as_text=True)) == [str(failed.id)]
    assert rows(client.get("/admin/outbox/?q=Мария").get_data(as_text=True)) == [str(failed.id)]
    assert rows(client.get("/admin/outbox/?q=%25").get_data(as_text=True)) == []  # % is a character
    assert rows(client.get("/admin/outbox/?status=bogus").get_data(as_text=True)) == rows(html)


def test_list_pages_by_25(client, admin):
    ids = [add_message(f"p{n}@example.org", age_minutes=100 - n).id for n in range(30)]
    first = client.get("/admin/outbox/?status=pending").get_data(as_text=True)
    second = client.get("/admin/outbox/?status=pending&page=2").get_data(as_text=True)
    assert rows(first) == [str(i) for i in reversed(ids[5:])]
    assert rows(second) == [str(i) for i in reversed(ids[:5])]
    assert 'href="/admin/outbox/?page=2&amp;status=pending"' in first
    assert 'href="/admin/outbox/?page=1&amp;status=pending"' in second


def test_message_page_escapes_everything_and_links_only_web_addresses(client, admin):
    body = (
        "Hi <script>alert(1)</script> & welcome.\n"
        "Set your password: https://school.example.org/password/set/abc.def?x=1&y=2.\n"
        "Not a link: javascript:alert(2) or ftp://files.example.org/x"
    )
    message = add_message("a@example.org", body_text=body, to_name="<i>Ann</i>")
    response = client.get(f"/admin/outbox/{message.id}")
    html = response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"].split(", ")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; welcome." in html
    assert "&lt;i&gt;Ann&lt;/i&gt;" in html
    url = "https://school.example.org/password/set/abc.def?x=1&amp;y=2"
    assert f'<a href="{url}">{url}</a>.' in html
    assert 'href="javascript' not in html and 'href="ftp' not in html


def test_linkify():
    assert str(linkify("see http://a.example/x, and (https://b.example/y).")) == (
        'see <a href="http://a.example/x">http://a.example/x</a>, and '
        '(<a href="https://b.example/y">https://b.example/y</a>).'
    )
    assert str(linkify('x"><b>http://a.example/"q</b>')) == (
        'x&#34;&gt;&lt;b&gt;<a href="http://a.example/">http://a.example/</a>&#34;q&lt;/b&gt;'
    )
    assert str(linkify("javascript:alert(1) data:text/html,x")) == "javascript:alert(1) data:text/html,x"


def test_send_again_puts_a_failed_message_back_and_is_audited(client, auth, admin, app):
    message = add_message("a@example.org", status="failed", attempts=8, last_error="550 No such user")
    page = f"/admin/outbox/{message.id}"
    assert "Отправить ещё раз" in client.get(page).get_data(as_text=True)
    assert client.get(f"{page}/send-again").status_code == 405  # no GET changes anything
    response = auth.post(f"{page}/send-again", page=page)
    assert response.status_code == 302 and response.headers["Location"] == page
    row = reload(message.id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at <= utcnow()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mail.retry")).one()
    assert (event.actor_id, event.target_type, event.target_id) == (admin.id, "mail", str(message.id))
    assert event.target_label == "a@example.org"

    again = auth.post(f"{page}/send-again", page=page, follow_redirects=True)  # a double click
    assert "Отправить повторно можно только недоставленное письмо." in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "mail.retry")) == 1


def test_post_without_csrf_is_refused(client, admin):
    message = add_message("a@example.org", status="failed")
    assert client.post(f"/admin/outbox/{message.id}/send-again").status_code == 400
    assert reload(message.id).status == "failed"


def test_banner_when_mail_is_not_sent_from_this_server(client, admin, app):
    add_message("a@example.org")
    banner = "С этого сервера почта не отправляется: передайте ссылки людям сами."
    app.config["MAIL_SERVER"] = None
    assert banner in client.get("/admin/outbox/").get_data(as_text=True)
    app.config["MAIL_SERVER"] = "smtp.example.org"
    assert banner not in client.get("/admin/outbox/").get_data(as_text=True)


def test_unknown_message_is_404(client, admin):
    assert client.get("/admin/outbox/999").status_code == 404
    assert client.get(f"/admin/outbox/{2**70}").status_code == 404


def test_an_invitation_link_is_clickable_on_its_page(client, admin, app, make_user):
    user = make_user("invitee", email="invitee@example.org")
    message = enqueue(
        "invitation",
        to_address="invitee@example.org",
        to_name="Invitee",
        user_id=user.id,
        context={"user": user, "link": "http://127.0.0.1:5000/password/set/tok.en", "valid_days": 14},
    )
    db.session.commit()
    html = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    link = "http://127.0.0.1:5000/password/set/tok.en"
    assert f'<a href="{link}">{link}</a>' in html

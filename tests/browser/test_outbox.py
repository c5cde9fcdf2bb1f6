"""An admin reads the outbox on a server that sends no mail, and finds an invitation's link."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from lms.accounts.services import create_user, send_invitation
from lms.extensions import db
from tests.browser.conftest import assert_accessible, assert_fits

PASSWORD = "correct-horse-battery"


def test_admin_reads_an_invitation_in_the_outbox(page, live_server, login, make_user, app):
    app.config["MAIL_SERVER"] = None
    make_user("root", role="admin")
    invited = create_user(
        "maria", None, "candidate", region_code="77", full_name="Мария Иванова", email="maria@example.org"
    )
    send_invitation(invited)
    db.session.commit()

    login("root", PASSWORD)
    page.get_by_role("link", name="Администрирование").click()
    page.get_by_role("link", name="Исходящая почта").click()
    expect(page.get_by_role("heading", name="Исходящая почта", level=1)).to_be_visible()
    expect(page.get_by_text("С этого сервера почта не отправляется")).to_be_visible()
    row = page.locator("tbody tr", has_text="Мария Иванова")
    expect(row).to_contain_text("maria@example.org")
    expect(row).to_contain_text("ждёт отправки")
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    row.get_by_role("link", name="Ваша учётная запись в Высшей партийной школе").click()
    expect(page.get_by_role("heading", name="Ваша учётная запись в Высшей партийной школе")).to_be_visible()
    links = page.locator(".mail-body a")
    expect(links).to_have_count(2)  # the set-password link, and the school's address in the footer
    school = app.config["PUBLIC_URL"]
    expect(links.first).to_have_attribute("href", re.compile("^" + re.escape(school) + r"/password/set/\S+$"))
    expect(links.last).to_have_attribute("href", school)
    expect(page.get_by_role("button", name="Отправить ещё раз")).to_have_count(0)  # not failed
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Text of the message")).to_be_visible()
    expect(page.get_by_text("Mail is not sent from this server")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Outbox", level=1)).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)

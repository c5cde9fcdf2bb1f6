"""A coordinator reminds a candidate from the at-risk list; the candidate signs in and finds it in
the header's counter and on the notifications page. Both pages pass axe-core and fit 320 px."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import Enrolment
from tests.browser.conftest import assert_accessible, assert_fits
from tests.dashboards.conftest import world  # noqa: F401  (fixture)

PASSWORD = "correct-horse-battery"
TEXT = "Кандидат 2, начните курс: первый урок занимает десять минут."


def test_a_reminder_from_the_at_risk_list_reaches_the_candidate(page, live_server, login, world, make_user):  # noqa: F811
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id == world.moscow[2])
        .values(enrolled_at=utcnow() - timedelta(days=9))  # not started a week after enrolment
    )
    db.session.commit()
    make_user("olga", role="coordinator", region="77", full_name="Ольга Координатор")
    login("olga", PASSWORD)
    page.goto(f"{live_server}/dashboard/at-risk")
    section = page.locator("#list-not_started")
    section.get_by_label("Выбрать всех в этом списке").check()  # the select-all box (JavaScript)
    expect(section.get_by_label("Напомнить: Кандидат 2")).to_be_checked()
    assert_accessible(page)
    page.get_by_label("Текст напоминания").fill(TEXT)
    page.get_by_role("button", name="Отправить напоминание").click()
    expect(page.get_by_role("status")).to_contain_text("Напоминание отправлено 1 кандидату.")
    assert_accessible(page)
    assert_fits(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/dashboard/candidates/{world.moscow[2]}")
    reminders = page.locator("#reminders-sent + ul")
    expect(reminders).to_contain_text("Ольга Координатор")
    expect(reminders).to_contain_text(TEXT)
    assert_accessible(page)
    page.get_by_role("button", name="Выйти").click()

    login("msk2", PASSWORD)
    link = page.get_by_role("link", name="Уведомления")
    expect(link).to_contain_text("2")  # the reminder and the cohort's course
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Уведомления")
    expect(page.get_by_role("main")).to_contain_text("Напоминание от: Ольга Координатор.")
    expect(page.get_by_role("main")).to_contain_text(TEXT)
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Отметить все как прочитанные").click()
    expect(page.get_by_role("status")).to_contain_text("2 уведомления отмечены как прочитанные.")
    expect(page.locator(".site-header .counter")).to_have_count(0)
    assert_accessible(page)

    # The low-vision version, in English too: the page still passes and fits.
    page.get_by_role("button", name="Версия для слабовидящих").click()
    expect(page.locator("html")).to_have_class("low-vision")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("main")).to_contain_text("A reminder from Ольга Координатор.")
    assert_accessible(page)
    assert_fits(page)

"""Seminar journeys in a browser: a participant opens "My seminar" on a phone and downloads the
programme's calendar file; an admin adds a session to the programme."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.extensions import db
from lms.seminars.models import SeminarSession
from tests.browser.conftest import assert_accessible, assert_fits
from tests.conftest import DEFAULT_PASSWORD

# The seminar factories and the tiny course's programme ("vybory", region 77, sessions s1 and s2).
from tests.seminars.conftest import make_seminar, programme  # noqa: F401  (fixtures, found by name)


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized browser (390 px), Russian like the school's users."""
    context = browser.new_context(
        locale="ru-RU", viewport={"width": 390, "height": 844}, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()


def test_a_participant_opens_the_programme_and_downloads_the_calendar(
    phone,
    live_server,
    programme,  # noqa: F811  (the fixture, by name)
    make_user,
):
    make_user("anna", full_name="Анна Петрова", region="77")
    sign_in(phone, live_server, "anna")

    phone.get_by_role("navigation", name="Основное меню").get_by_role("link", name="Семинары").click()
    phone.get_by_role("link", name="Семинар vybory").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Семинар vybory")
    day = phone.get_by_role("region", name="День 1 · 15 мар. 2027 г.")
    expect(day.get_by_role("heading", name="10:00–11:00 Сессия 1")).to_be_visible()
    session = phone.locator("#session-s1")
    expect(session.get_by_role("heading", name="Подготовиться заранее")).to_be_visible()
    expect(session.get_by_role("link", name="Первый модуль")).to_be_visible()
    expect(session.get_by_text("Не выполнено").first).to_be_visible()
    assert_fits(phone, 390)
    assert_fits(phone, 320)
    assert_accessible(phone)

    with phone.expect_download() as waiting:
        phone.get_by_role("link", name="Добавить в календарь (.ics)").click()
    download = waiting.value
    assert download.suggested_filename == "vybory.ics"
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert body.count(b"BEGIN:VEVENT") == 2
    assert b"SUMMARY:\xd0\xa1\xd0\xb5\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f 1\r\n" in body  # «Сессия 1»


def test_an_admin_adds_a_session(
    page,
    live_server,
    programme,  # noqa: F811  (the fixture, by name)
    make_user,
):
    make_user("root", role="admin", full_name="Администратор")
    sign_in(page, live_server, "root")
    page.goto(f"{live_server}/seminars/vybory/manage")

    page.get_by_role("link", name="Добавить сессию").click()
    page.get_by_label("Ключ").fill("panel")
    page.get_by_label("Название").fill("Панельная дискуссия: риски кампании")
    page.get_by_label("День").select_option(label="День 2, 16 мар. 2027 г.")
    page.get_by_label("Начало").fill("14:00")
    page.get_by_label("Окончание").fill("15:30")
    page.get_by_label("Зал").fill("Зал 2")
    page.get_by_label("Спикеры").fill("Павел Орлов — специалист по безопасности")
    page.get_by_role("button", name="Добавить сессию").click()

    expect(page.get_by_text("Сессия добавлена.")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/seminars/vybory")
    day = page.get_by_role("region", name="День 2 · 16 мар. 2027 г.")
    expect(day.get_by_role("heading", name="14:00–15:30 Панельная дискуссия: риски кампании")).to_be_visible()
    expect(day.get_by_text("Павел Орлов")).to_be_visible()
    session = db.session.scalar(sa.select(SeminarSession).where(SeminarSession.key == "panel"))
    assert (session.day, session.room) == (2, "Зал 2")

"""Administration journeys in the browser: find and deactivate a user, forgotten passwords, every
account page checked with axe-core at 320 px in Russian (and English once)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from lms.accounts.models import User
from lms.extensions import db
from lms.mail.models import OutboxMessage
from tests.browser.conftest import CHROMIUM_ARGS, assert_accessible, assert_fits  # noqa: F401
from tests.conftest import DEFAULT_PASSWORD


def _latest_link(to_address: str) -> str:
    db.session.commit()
    body = db.session.scalar(
        sa.select(OutboxMessage.body_text)
        .where(OutboxMessage.to_address == to_address)
        .order_by(OutboxMessage.id.desc())
    )
    return re.search(r"http://\S+/password/set/\S+", body).group(0)


def _check(page) -> None:
    assert_accessible(page)
    assert_fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_admin_finds_and_deactivates_a_user_whose_open_session_then_stops(
    browser, page, live_server, login, make_user
):
    make_user("root", role="admin", full_name="Главный Администратор")
    make_user("anna", region="77", full_name="Анна Ёлкина", email="anna@example.org")
    make_user("boris", region="69", full_name="Борис Тверской")

    anna_context = browser.new_context(locale="ru-RU")
    anna_page = anna_context.new_page()
    try:
        anna_page.goto(f"{live_server}/login")
        anna_page.get_by_label("Имя пользователя").fill("anna")
        anna_page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
        anna_page.get_by_role("main").get_by_role("button", name="Войти").click()
        expect(anna_page.get_by_role("heading", name="Мои курсы")).to_be_visible()

        login("root", DEFAULT_PASSWORD)
        page.get_by_role("link", name="Администрирование").click()
        expect(page.get_by_role("heading", name="Администрирование")).to_be_visible()
        _check(page)
        page.get_by_role("link", name="Пользователи").click()
        _check(page)
        page.get_by_label("Имя, логин или эл. почта").fill("елкина")
        page.get_by_label("Имя, логин или эл. почта").press("Enter")
        expect(page.locator("#users tbody tr")).to_have_count(1)
        page.get_by_role("link", name="Анна Ёлкина").click()
        expect(page.get_by_role("heading", name="Анна Ёлкина")).to_be_visible()
        expect(page.locator("table.data-table tbody tr")).to_have_count(1)  # her one session
        _check(page)
        page.get_by_role("button", name="Отключить").click()
        expect(page.locator(".flash")).to_have_text("Учётная запись отключена; все её сеансы завершены.")
        expect(page.get_by_role("button", name="Включить снова")).to_be_visible()

        anna_page.reload()
        expect(anna_page.get_by_role("heading", name="Войти")).to_be_visible()
    finally:
        anna_context.close()


def test_admin_creates_a_user_who_sets_a_password_from_the_invitation(page, live_server, login, make_user):
    make_user("root", role="admin")
    login("root", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/admin/users/new")
    _check(page)
    page.get_by_label("ФИО").fill("Мария Новикова")
    page.get_by_label("Имя пользователя").fill("novikova.m")
    page.get_by_label("Эл. почта").fill("maria@example.org")
    page.get_by_label("Регион").select_option("77")
    page.get_by_role("button", name="Создать учётную запись").click()
    expect(page.get_by_text("приглашение поставлено в очередь")).to_be_visible()
    expect(page.get_by_role("heading", name="Мария Новикова")).to_be_visible()
    page.get_by_role("button", name="Выйти").click()

    page.goto(_latest_link("maria@example.org"))
    expect(page.get_by_role("heading", name="Выберите пароль")).to_be_visible()
    _check(page)
    page.get_by_label("Новый пароль", exact=True).fill("qwerty123456")
    page.get_by_label("Новый пароль ещё раз").fill("qwerty123456")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_text("слишком распространённый")).to_be_visible()
    _check(page)  # with its error shown
    page.get_by_label("Новый пароль", exact=True).fill("лето в тверской области")
    page.get_by_label("Новый пароль ещё раз").fill("лето в тверской области")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_text("Пароль установлен")).to_be_visible()
    expect(page.get_by_label("Имя пользователя")).to_have_value("novikova.m")
    page.get_by_label("Пароль").fill("лето в тверской области")
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Мои курсы")).to_be_visible()


def test_a_user_resets_a_forgotten_password(page, live_server, make_user):
    make_user("anna", region="77", full_name="Анна", email="anna@example.org")
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Забыли пароль?").click()
    _check(page)
    page.get_by_label("Имя пользователя или эл. почта").fill("anna@example.org")
    page.get_by_role("button", name="Отправить ссылку").click()
    expect(page.get_by_role("heading", name="Проверьте почту")).to_be_visible()
    _check(page)
    link = _latest_link("anna@example.org")
    page.goto(link)
    page.get_by_label("Новый пароль", exact=True).fill("совсем новый пароль")
    page.get_by_label("Новый пароль ещё раз").fill("совсем новый пароль")
    page.get_by_role("button", name="Сохранить пароль").click()
    page.get_by_label("Пароль").fill("совсем новый пароль")
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Мои курсы")).to_be_visible()
    page.goto(link)  # a used link
    expect(page.get_by_role("heading", name="Ссылка не работает")).to_be_visible()
    _check(page)


def test_own_account_pages_in_russian_and_english(page, live_server, login, make_user):
    make_user("olga", role="coordinator", full_name="Ольга")
    login("olga", DEFAULT_PASSWORD)
    page.get_by_role("link", name="Ольга").click()
    expect(page.get_by_role("heading", name="Моя учётная запись")).to_be_visible()
    _check(page)
    page.get_by_label("Часовой пояс").select_option("Asia/Vladivostok")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Профиль сохранён")).to_be_visible()
    page.get_by_role("link", name="Пароль").click()
    _check(page)
    page.get_by_role("link", name="Сеансы").click()
    _check(page)
    page.goto(f"{live_server}/admin/invitations")
    _check(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Invitations")).to_be_visible()
    _check(page)
    page.goto(f"{live_server}/account")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Vladivostok")
    _check(page)
    page.goto(f"{live_server}/admin/users")
    _check(page)
    assert db.session.scalar(sa.select(User.locale).where(User.username == "olga")) == "en"


FOCUSED_NAME = """() => {
    const e = document.activeElement;
    return (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent || e.value || "").trim();
}"""


def _tab_to(page, accessible_name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text or label is `accessible_name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_NAME)
        if focused == accessible_name:
            return
    raise AssertionError(f"{accessible_name!r} not reached with the keyboard")


def test_a_user_is_found_and_deactivated_with_the_keyboard_alone(page, live_server, login, make_user):
    make_user("root", role="admin")
    make_user("anna", region="77", full_name="Анна Ёлкина")
    make_user("boris", region="69", full_name="Борис Тверской")
    login("root", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/admin/users")
    _tab_to(page, "Имя, логин или эл. почта")
    page.keyboard.type("ёлкина")
    page.keyboard.press("Enter")
    expect(page.locator("#users tbody tr")).to_have_count(1)
    _tab_to(page, "Анна Ёлкина")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Анна Ёлкина")).to_be_visible()
    _tab_to(page, "Отключить")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("Учётная запись отключена; все её сеансы завершены.")

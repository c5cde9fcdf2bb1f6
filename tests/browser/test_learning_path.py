"""A candidate's path: sign in, open a course, read, mark done, see progress, come back later."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PASSWORD = "correct-horse-battery"


def test_candidate_learning_path(page, live_server, login, imported, make_user):
    make_user("anna", full_name="Анна Петрова")
    login("anna", PASSWORD)
    expect(page.get_by_role("heading", name="Мои курсы", level=1)).to_be_visible()

    page.get_by_role("button", name="Начать курс").click()
    expect(page).to_have_url(re.compile(r"/courses/tiny-course/lessons/l-one$"))
    expect(page.get_by_role("heading", name="Первый урок", level=1)).to_be_visible()
    expect(page.locator(".prose .admonition")).to_contain_text("выходные данные")

    page.get_by_role("button", name="Отметить как пройденный").click()
    expect(page).to_have_url(re.compile(r"/lessons/l-two$"))
    expect(page.get_by_role("status")).to_contain_text("Урок отмечен как пройденный")
    # The second lesson is set to complete when opened.
    expect(page.get_by_text("Вы прошли этот урок.")).to_be_visible()

    page.get_by_role("link", name="Крошечный курс").first.click()
    expect(page.locator("header progress")).to_have_attribute("value", "67")
    expect(page.locator(".lesson-row", has_text="Первый урок")).to_contain_text("Пройден")
    expect(page.locator(".lesson-row", has_text="Третий урок")).to_contain_text("Не начат")

    page.get_by_role("link", name="Третий урок").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    login("anna", PASSWORD)
    expect(page).to_have_url(re.compile(r"/lessons/l-three$"))
    page.get_by_role("button", name="Отметить как пройденный").click()
    expect(page.get_by_role("status")).to_contain_text("Курс пройден")
    page.get_by_role("link", name="Мои курсы").first.click()
    expect(page.locator(".course-card progress")).to_have_attribute("value", "100")


def test_keyboard_only_sign_in(page, live_server, make_user):
    make_user("anna")
    page.goto(f"{live_server}/login")
    expect(page.get_by_label("Имя пользователя")).to_be_focused()  # autofocus
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Мои курсы", level=1)).to_be_visible()


def test_wrong_password_shows_an_error_not_a_crash(page, live_server, login, make_user):
    make_user("anna")
    login("anna", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Неверное имя пользователя или пароль")


def test_phone_width_has_no_horizontal_scroll(page, live_server, login, imported, make_user):
    page.set_viewport_size({"width": 375, "height": 740})
    make_user("anna")
    login("anna", PASSWORD)
    page.get_by_role("button", name="Начать курс").click()
    page.wait_for_url("**/lessons/**")  # the click navigates: measure the lesson, not the page leaving
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

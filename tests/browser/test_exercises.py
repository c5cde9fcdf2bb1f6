"""Exercise journeys: a conversation to two endings; an assignment returned, reworked and accepted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.exercises.files import pdf
from tests.teaching import teach

PASSWORD = "correct-horse-battery"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "exercises"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


def reply(page: Page, text: str) -> None:
    """Choose a reply and wait for the next step's page, so a following reload cannot race it."""
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(re.escape(text))).click()


def test_conversation_to_a_bad_and_then_a_good_ending(page, live_server, login, imported, make_user):
    make_user("anna")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/ex-course/scenarios/sc-door")
    page.get_by_role("button", name="Начать разговор").click()
    expect(page.get_by_text("Опять агитаторы?")).to_be_visible()
    reply(page, "Сразу рассказать о программе")
    expect(page.get_by_label("Комментарий к вашему ответу")).to_contain_text("не успел сказать ни слова")
    reply(page, "Уйти")
    expect(page.get_by_role("heading", name="Упражнение пока не выполнено")).to_be_visible()
    expect(page.get_by_text("Более сильный ответ:").first).to_be_visible()

    page.get_by_role("link", name="Вернуться к упражнению").click()
    page.get_by_role("button", name="Сыграть ещё раз").click()
    reply(page, "Представиться и спросить")
    page.reload()  # the conversation goes on after a reload
    reply(page, "Спросить, что его беспокоит")
    reply(page, "Рассказать, что предлагает кандидат")
    expect(page.get_by_role("heading", name="Упражнение выполнено")).to_be_visible()
    listening = page.locator('[data-competency="listening"] [data-score]')
    expect(listening).to_have_text("3")
    page.get_by_role("link", name="Вернуться к курсу").click()
    expect(page.locator(".lesson-row", has_text="Разговор у двери")).to_contain_text("Пройден")


def test_submit_return_resubmit_accept(page, live_server, login, imported, make_user, tmp_path):
    make_user("anna", full_name="Анна Петрова")
    make_user("igor", role="instructor")
    teach("igor")
    attachment = tmp_path / "план.pdf"
    attachment.write_bytes(pdf())

    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/ex-course/assignments/as-plan")
    expect(page.get_by_role("rowheader", name="Структура плана")).to_be_visible()  # rubric before submitting
    page.get_by_label("Ваш ответ (Markdown)").fill("## План встречи\n\n1. Согласовать место")
    page.get_by_label("Прикрепить файлы").set_input_files(str(attachment))
    page.get_by_role("button", name="Отправить на проверку").click()
    expect(page.locator("#submission-status")).to_have_text("отправлено")
    page.get_by_role("button", name="Выйти").click()

    login("igor", PASSWORD)
    page.get_by_role("link", name="Проверка").click()
    page.locator("#queue").get_by_role("link", name="Открыть").click()
    page.get_by_role("button", name="Начать проверку").click()
    expect(page.get_by_role("link", name="план.pdf")).to_be_visible()
    page.locator('[name="score-structure"][value="2"]').check()
    page.locator('[name="score-law"][value="0"]').check()
    page.locator('[name="score-contact"][value="1"]').check()
    page.get_by_label("Общий комментарий").fill("Нет согласования места и сроков.")
    page.get_by_role("button", name="Вернуть на доработку").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.get_by_role("button", name="Выйти").click()

    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/ex-course/assignments/as-plan")
    expect(page.locator("#submission-status")).to_have_text("возвращено на доработку")
    expect(page.get_by_text("Нет согласования места и сроков.").first).to_be_visible()
    page.get_by_label("Ваш ответ (Markdown)").fill(
        "## План встречи\n\n1. Место согласовано с управой\n2. Сроки"
    )
    page.get_by_role("button", name="Отправить на проверку").click()
    expect(page.locator("#submission-status")).to_have_text("отправлено")
    page.get_by_role("button", name="Выйти").click()

    login("igor", PASSWORD)
    page.goto(f"{live_server}/review")
    page.locator("#queue").get_by_role("link", name="Открыть").click()
    page.get_by_role("button", name="Начать проверку").click()
    page.locator('[name="score-structure"][value="4"]').check()
    page.locator('[name="score-law"][value="3"]').check()
    page.locator('[name="score-contact"][value="2"]').check()
    page.get_by_role("button", name="Принять").click()
    expect(page.get_by_text("Нет работ, ожидающих проверки").or_(page.locator("#queue"))).to_be_visible()
    page.get_by_role("button", name="Выйти").click()

    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/ex-course/assignments/as-plan")
    expect(page.locator("#submission-status")).to_have_text("принято")
    expect(page.locator(".level-chosen").first).to_be_visible()
    expect(page.locator(".history li")).to_have_count(6)

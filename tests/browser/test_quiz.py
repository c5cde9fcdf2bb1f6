"""Quiz journeys: fail, retake, pass, module complete; the instructor's item analysis agrees."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.content.models import Lesson
from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.browser.conftest import assert_accessible, assert_fits
from tests.quizzes.conftest import full_form
from tests.teaching import teach

PASSWORD = "correct-horse-battery"
QUIZ_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "quiz"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(QUIZ_FIXTURE, target)
    return target


def fill(page: Page, form: dict[str, list[str]]) -> None:
    """Answer in the browser the way a person would: click radios/boxes, type, pick from lists."""
    for name, values in form.items():
        field = page.locator(f'[name="{name}"]').first
        tag, kind = field.evaluate("el => [el.tagName.toLowerCase(), (el.type || '').toLowerCase()]")
        if tag == "select":
            field.select_option(values[0])
        elif kind in ("radio", "checkbox"):
            for value in values:
                page.locator(f'[name="{name}"][value="{value}"]').check()
        else:
            field.fill(values[0])


def current_attempt(page: Page) -> Attempt:
    attempt_id = int(re.search(r"/quiz-attempts/(\d+)", page.url).group(1))
    db.session.rollback()  # see what the server committed
    return db.session.get(Attempt, attempt_id)


def test_fail_retake_pass_and_complete(page, live_server, login, imported, make_user):
    quiz = db.session.scalar(sa.select(Lesson).where(Lesson.key == "q-all"))
    db.session.expunge(quiz)  # keep using it across the rollbacks below
    make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/quiz-course")
    page.get_by_role("link", name=quiz.title).click()
    expect(page.get_by_text("Осталось попыток: 2")).to_be_visible()

    page.get_by_role("button", name="Начать тест").click()
    expect(page.locator("#quiz-timer")).to_be_visible()
    fill(page, full_form(quiz, current_attempt(page), right=False))
    expect(page.locator("#autosave-status")).to_have_text(re.compile("сохранены|saved", re.I))
    page.reload()  # a crash or reload loses nothing: the wrong answers are still there
    first_single = next(q for q in quiz.payload["questions"] if q["type"] == "single")
    wrong = next(o["key"] for o in first_single["options"] if not o["correct"])
    expect(page.locator(f'[name="q-{first_single["key"]}"][value="{wrong}"]')).to_be_checked()
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.get_by_role("heading", name="Тест не пройден")).to_be_visible()
    expect(page.get_by_text("Осталось попыток: 1")).to_be_visible()

    page.get_by_role("link", name="Пройти ещё раз").click()
    page.get_by_role("button", name="Пройти ещё раз").click()
    fill(page, full_form(quiz, current_attempt(page), right=True))
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.get_by_role("heading", name="Тест пройден")).to_be_visible()

    page.get_by_role("link", name="Вернуться к курсу").click()
    lesson_row = page.locator(".lesson-row").first
    lesson_row.get_by_role("link").click()
    page.get_by_role("button", name="Отметить как пройденный").click()
    page.goto(f"{live_server}/courses/quiz-course")
    expect(page.locator(".module")).to_contain_text("2 из 2")
    expect(page.locator("header progress")).to_have_attribute("value", "100")

    page.get_by_role("button", name="Выйти").click()
    login("igor", PASSWORD)
    page.goto(f"{live_server}/courses/quiz-course/quizzes/q-all/analysis")
    expect(page.locator("#stat-attempts")).to_have_text("2")
    expect(page.locator("#stat-mean")).to_have_text("50\u00a0%")
    expect(page.locator("#stat-pass-rate")).to_have_text("50\u00a0%")
    single = page.locator(f"#analysis-{first_single['key']}")
    expect(single.locator('[data-stat="correct"]')).to_have_text("50\u00a0%")
    expect(single.locator(f'[data-option="{wrong}"]')).to_have_text("1")


def test_unanswered_questions_are_named_before_submitting(page, live_server, login, imported, make_user):
    quiz = db.session.scalar(sa.select(Lesson).where(Lesson.key == "q-all"))
    db.session.expunge(quiz)
    make_user("anna")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/quiz-course/quizzes/q-all")
    page.get_by_role("button", name="Начать тест").click()
    attempt = current_attempt(page)
    served = [item["key"] for item in attempt.layout]
    fill(page, full_form(quiz, attempt, right=True, only={"fond-schet"}))
    submit = page.get_by_role("button", name="Отправить ответы")
    submit.click()

    dialog = page.get_by_role("alertdialog", name="Отправить, не ответив на все вопросы?")
    expect(dialog).to_be_visible()
    expect(dialog).to_be_focused()
    links = dialog.get_by_role("link")
    expect(links).to_have_count(7)
    missing = [key for key in served if key != "fond-schet"]
    first_number = served.index(missing[0]) + 1
    expect(links.first).to_have_text(f"Вопрос {first_number}")
    expect(dialog.locator("li").first).to_contain_text(f"Вопрос {first_number}: ")
    assert_accessible(page)
    assert_fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.keyboard.press("Escape")  # closes it, back on the button that opened it
    expect(dialog).to_be_hidden()
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_focused()
    dialog.get_by_role("button", name="Вернуться и ответить").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#question-{missing[0]} :is(input, select)").first).to_be_focused()
    assert current_attempt(page).submitted_at is None  # nothing was sent

    submit.click()
    page.keyboard.press("Tab")  # from the dialog to its first link, as a keyboard user goes on
    expect(links.first).to_be_focused()
    dialog.get_by_role("button", name="Отправить как есть").click()
    expect(page.get_by_role("heading", name="Тест не пройден")).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_the_confirmation_page_without_script_and_the_analysis_links(
    page, live_server, login, imported, make_user
):
    make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/quiz-course/quizzes/q-all")
    page.get_by_role("button", name="Начать тест").click()
    attempt_id = current_attempt(page).id
    page.goto(f"{live_server}/quiz-attempts/{attempt_id}/confirm")  # where a submit without script lands
    expect(page.get_by_role("heading", level=1)).to_have_text("Отправить, не ответив на все вопросы?")
    expect(page.get_by_text("Без ответа 8 вопросов из 8; за них будет 0 баллов:")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Отправить как есть").click()
    expect(page.get_by_role("heading", name="Тест не пройден")).to_be_visible()

    page.get_by_role("button", name="Выйти").click()
    login("igor", PASSWORD)
    page.goto(f"{live_server}/dashboard/teaching")
    section = page.get_by_role("region", name="Анализ вопросов тестов")
    assert_accessible(page)
    section.get_by_role("link", name="Проверка: все типы вопросов").click()
    first = page.get_by_role("heading", name="Где должны находиться средства избирательного фонда?")
    expect(first).to_be_visible()
    expect(page.locator("#analysis-title-fond-schet")).to_contain_text("(Один вариант)")
    assert_accessible(page)
    assert_fits(page, 320)

"""Keyboard-only journeys: a quiz with every question type, and a conversation to its good ending,
done with Tab, Shift+Tab, Space, Enter, the arrow keys and typing only — no clicks, no filling by
selector. The page is read (what is focused, what the right answers are) to decide which key to
press next, as a keyboard user reads the screen."""

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
from lms.quizzes.types import QUESTION_TYPES
from tests.conftest import DEFAULT_PASSWORD
from tests.quizzes.conftest import full_form

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
MAX_TABS = 80

FOCUSED = """() => { const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(), name: el.name || '',
          value: el.value || '', text: (el.innerText || '').trim(), checked: !!el.checked}; }"""


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", target / "quiz-course")
    shutil.copytree(FIXTURES / "exercises" / "ex-course", target / "ex-course")
    return target


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, wanted, *, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element is the one `wanted(focused)` accepts."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached the element; last focused: {now}")


def keyboard_sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    expect(page.get_by_label("Имя пользователя")).to_be_focused()  # autofocus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Мои курсы", level=1)).to_be_visible()


def press_button(page: Page, text: str) -> None:
    """Tab to the button or link whose text starts with `text`, and press Enter."""
    tab_to(page, lambda f: f["tag"] in ("button", "a") and f["text"].startswith(text))
    with page.expect_navigation():
        page.keyboard.press("Enter")


def answer_by_keyboard(page: Page, form: dict[str, list[str]]) -> None:
    """Fill the attempt page's fields, in the order Tab reaches them, from the keyboard."""
    stops = page.evaluate(
        """() => {
          const stops = [], groups = new Set();
          const fields = '#quiz-form input:not([type=hidden]), #quiz-form select';
          for (const el of document.querySelectorAll(fields)) {
            if (el.type !== 'radio') stops.push({name: el.name, type: el.type, value: el.value});
            else if (!groups.has(el.name)) {
              groups.add(el.name);
              stops.push({name: el.name, type: 'radio'});
            }
          }
          return stops; }"""
    )
    for stop in stops:
        name, kind = stop["name"], stop["type"]
        targets = form.get(name, [])
        if kind == "checkbox":
            now = tab_to(page, lambda f, s=stop: f["name"] == s["name"] and f["value"] == s["value"])
            if (stop["value"] in targets) != now["checked"]:
                page.keyboard.press("Space")
            continue
        if not targets:
            continue
        now = tab_to(page, lambda f, n=name: f["name"] == n)
        if kind == "radio":
            for _ in range(10):  # arrows move through the group (and choose as they go)
                if now["value"] == targets[0]:
                    break
                page.keyboard.press("ArrowDown")
                now = focused(page)
            assert now["value"] == targets[0], f"arrow keys never reached {targets[0]} in {name}"
            page.keyboard.press("Space")  # the first option is focused but not yet chosen
        elif kind.startswith("select"):
            for _ in range(12):  # a closed list steps through its options with the arrows
                if now["value"] == targets[0]:
                    break
                page.keyboard.press("ArrowDown")
                now = focused(page)
            assert now["value"] == targets[0], f"arrow keys never reached {targets[0]} in {name}"
        else:
            page.keyboard.type(targets[0])
        assert focused(page)["name"] == name


def test_a_quiz_with_every_question_type_by_keyboard(page, live_server, imported, make_user):
    quiz = db.session.scalar(sa.select(Lesson).where(Lesson.key == "q-all"))
    assert {q["type"] for q in quiz.payload["questions"]} == set(QUESTION_TYPES)  # every type is here
    make_user("anna")
    keyboard_sign_in(page, live_server, "anna")
    page.goto(f"{live_server}/courses/quiz-course/quizzes/q-all")
    press_button(page, "Начать тест")
    expect(page.locator("#quiz-form")).to_be_visible()

    attempt_id = int(re.search(r"/quiz-attempts/(\d+)", page.url).group(1))
    db.session.rollback()
    attempt = db.session.get(Attempt, attempt_id)
    answer_by_keyboard(page, full_form(quiz, attempt, right=True))
    # Back up one stop with Shift+Tab and forward again: the focus order holds both ways.
    last = focused(page)
    page.keyboard.press("Shift+Tab")
    assert focused(page) != last
    press_button(page, "Отправить ответы")

    expect(page.get_by_role("heading", name="Тест пройден")).to_be_visible()
    score = "Набрано баллов: 8,5 из 8,5 (100\xa0%); для сдачи нужно 60\xa0%."  # Russian number formats
    expect(page.locator(".score")).to_have_text(score)


def test_a_conversation_to_its_good_ending_by_keyboard(page, live_server, imported, make_user):
    make_user("anna")
    keyboard_sign_in(page, live_server, "anna")
    page.goto(f"{live_server}/courses/ex-course/scenarios/sc-door")
    press_button(page, "Начать разговор")
    expect(page.get_by_text("Опять агитаторы?")).to_be_visible()
    for reply in ("Представиться и спросить", "Спросить, что его беспокоит", "Рассказать, что предлагает"):
        press_button(page, reply)
    expect(page.get_by_role("heading", name="Упражнение выполнено")).to_be_visible()
    expect(page.locator('[data-competency="listening"] [data-score]')).to_have_text("3")
    expect(page.locator('[data-competency="contact"] [data-score]')).to_have_text("2")

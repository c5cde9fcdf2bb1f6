"""Exercise journeys: a conversation to two endings; an assignment returned, reworked and accepted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.content.models import Lesson
from lms.extensions import db
from tests.browser.conftest import assert_accessible
from tests.exercises.files import pdf
from tests.exercises.test_words import EXAMPLES
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


def limit_words(minimum: int, maximum: int) -> None:
    item = db.session.scalar(sa.select(Lesson).where(Lesson.key == "as-plan"))
    item.payload = {**item.payload, "words": {"min": minimum, "max": maximum}}
    db.session.commit()


def expected_count(words: int) -> str:
    note = " — меньше, чем нужно" if words < 5 else " — больше, чем можно" if words > 8 else ""
    return f"Слов: {words} из 5–8{note}"


def test_live_word_count_and_preview(page, live_server, login, imported, make_user):
    limit_words(5, 8)
    make_user("anna")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/ex-course/assignments/as-plan")
    counter = page.locator("#word-count")
    box = page.get_by_label("Ваш ответ (Markdown)")
    expect(counter).to_have_text(expected_count(0))
    box.fill("Один **два** три")
    expect(counter).to_have_text(expected_count(3))
    expect(counter).to_have_class("word-count word-count-off")
    box.fill("раз два три четыре пять шесть")
    expect(counter).to_have_text(expected_count(6))
    expect(counter).to_have_class("word-count")
    box.fill("раз два три четыре пять шесть семь восемь девять")
    expect(counter).to_have_text(expected_count(9))
    for text, words in EXAMPLES:  # the page counts as the server does
        box.fill(text)
        expect(counter).to_have_text(expected_count(words))

    box.fill("## План\n\n1. **Место** <script>alert(1)</script>")
    page.get_by_role("button", name="Предпросмотр").click()
    preview = page.get_by_role("region", name="Предпросмотр: так ваш ответ увидит проверяющий")
    expect(preview).to_be_focused()
    expect(preview.get_by_role("heading", name="План")).to_be_visible()
    expect(preview.locator("li strong")).to_have_text("Место")
    expect(preview.locator("script")).to_have_count(0)
    assert "#answer-preview" not in page.url  # shown by the script, without reloading the page
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})  # the rubric table above is wider: not ours
    for new in ("#word-count", "#answer-preview", ".submission-form .actions"):
        assert page.locator(new).evaluate("el => el.getBoundingClientRect().right") <= 320, new
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Отправить на проверку").click()
    expect(page.locator("#text-error")).to_have_text(
        "Слишком мало слов: 4; для этого задания нужно не меньше 5."  # План, Место, alert, 1
    )
    expect(box).to_have_value("## План\n\n1. **Место** <script>alert(1)</script>")
    expect(counter).to_have_text(expected_count(4))
    assert_accessible(page)


def test_preview_by_the_server_when_the_script_cannot_fetch(page, live_server, login, imported, make_user):
    make_user("anna")
    login("anna", PASSWORD)
    page.add_init_script("delete window.fetch")  # the page's script then leaves the button alone
    page.goto(f"{live_server}/courses/ex-course/assignments/as-plan")
    expect(page.locator("#answer-preview")).to_be_hidden()
    page.get_by_label("Ваш ответ (Markdown)").fill("Мой *план*")
    page.get_by_role("button", name="Предпросмотр").click()
    expect(page).to_have_url(re.compile(r"/assignments/as-plan#answer-preview$"))
    preview = page.get_by_role("region", name="Предпросмотр: так ваш ответ увидит проверяющий")
    expect(preview.locator("em")).to_have_text("план")
    expect(page.get_by_label("Ваш ответ (Markdown)")).to_have_value("Мой *план*")
    expect(page.locator("#word-count")).to_have_text("Слов: 2")
    assert_accessible(page)


def test_an_answer_typed_while_the_assignment_was_renamed_is_saved(
    page, live_server, login, imported, courses_dir, make_user
):
    """The course is re-imported with the assignment's id changed (`renamed_from`) while the page
    is open: the browser follows the 308 with its form, and the draft is on the renamed item."""
    from lms.content.sync import sync_tree
    from lms.exercises.models import Submission

    make_user("anna")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/ex-course/assignments/as-plan")
    page.get_by_label("Ваш ответ (Markdown)").fill("Набрано, пока курс обновляли")
    plan = courses_dir / "ex-course/01-praktika/03-plan.md"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace(
            "\nid: as-plan\n", "\nid: as-plan-v2\nrenamed_from: [as-plan]\n", 1
        ),
        encoding="utf-8",
    )
    sync_tree(courses_dir)
    db.session.commit()
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page).to_have_url(re.compile(r"/assignments/as-plan-v2$"))
    expect(page.get_by_label("Ваш ответ (Markdown)")).to_have_value("Набрано, пока курс обновляли")
    db.session.rollback()
    submission = db.session.scalars(sa.select(Submission)).one()
    assert (submission.item.key, submission.text_md) == ("as-plan-v2", "Набрано, пока курс обновляли")

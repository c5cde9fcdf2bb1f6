"""Authoring journeys: edit a lesson of the fixture course with the preview following the text (a
survey's questions drawn as its page draws them), a lint error shown at its line and fixed, publish,
see it as a candidate; and a file changed on disk meanwhile refused with both versions shown."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.content.models import Lesson
from lms.extensions import db
from lms.progress.models import LessonProgress
from tests.browser.conftest import assert_accessible, assert_fits
from tests.teaching import teach

PASSWORD = "correct-horse-battery"
LESSON = "tiny-course/01-one/01-first.md"
FRONT = "---\nid: l-one\ntitle: Первый урок\nminutes: {minutes}\n---\n"
SURVEY = """---
id: l-one
title: Отзыв о семинаре
type: survey
anonymous: false
---
## obshchee [scale]
Как вы оцениваете семинар?

- 1: Совсем не понравился
- 5: Очень понравился

## format [single, optional]
Какой формат вам ближе?

- lekcii: Больше лекций
- praktika: Больше практических заданий и разбора случаев из избирательных кампаний

## temy [multiple]
Какие темы разобрать подробнее?

- finansy: Финансы кампании
- agitaciya: Агитация

## predlozheniya [text]
Что нам стоит изменить?
"""


def open_editor(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/author/")
    page.get_by_role("link", name="Первый урок").click()
    expect(page.get_by_role("heading", name=re.compile("Редактирование"))).to_be_visible()


def caret_line(page: Page) -> int:
    """The line of the caret in the code editor (CodeMirror over the textarea)."""
    return page.evaluate(
        "() => { const s = window.lmsEditor.view.state; return s.doc.lineAt(s.selection.main.head).number; }"
    )


def code_editor(page: Page):
    """The code editor's text box (CodeMirror, once its script has replaced the textarea)."""
    return page.locator(".cm-editor").get_by_role("textbox", name="Текст в Markdown")


def type_source(page: Page, text: str) -> None:
    """Replace the text in the code editor as a person does: select all, then type (paste) it."""
    code_editor(page).click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def test_edit_preview_lint_publish_and_see_it_as_a_candidate(
    page, live_server, login, imported, make_user, courses_dir
):
    make_user("ivan", role="instructor")
    teach("ivan", "tiny-course")
    login("ivan", PASSWORD)
    open_editor(page, live_server)
    source = code_editor(page)
    preview = page.locator("#preview")
    problems = page.locator("#problems")
    expect(preview).to_contain_text("Агитационный материал")

    # The preview follows the text as it is typed, before any save.
    type_source(page, FRONT.format(minutes=10) + "Новый абзац про *агитацию*.\n")
    expect(preview.locator("em")).to_have_text("агитацию")
    expect(preview).not_to_contain_text("Агитационный материал")

    # Typed as a survey, the preview draws its questions as the survey page does, all switched off.
    type_source(page, SURVEY)
    expect(preview.get_by_role("group", name=re.compile("^Вопрос 1"))).to_contain_text("Как вы оцениваете")
    expect(preview.get_by_role("group", name=re.compile("^Вопрос 4"))).to_contain_text("Что нам стоит")
    expect(preview).to_contain_text("организаторы видят ваше имя")
    expect(preview.get_by_role("radio")).to_have_count(5 + 2)  # the scale's five points, two options
    expect(preview.get_by_role("checkbox", name="Агитация")).to_be_disabled()
    expect(preview.get_by_role("radio", name="Больше лекций")).to_be_disabled()
    expect(preview.get_by_role("textbox", name="Ваш ответ")).to_be_disabled()
    assert preview.locator("form").count() == 0
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A lint error appears with a link to its line; the link puts the caret on that line.
    type_source(page, FRONT.format(minutes="много") + "Новый абзац про *агитацию*.\n")
    link = problems.get_by_role("link", name=re.compile(r"строка 4"))
    expect(link).to_be_visible()
    assert_accessible(page)
    link.click()
    expect(source).to_be_focused()
    assert caret_line(page) == 4

    # Publishing now is refused with the list (the draft is kept); back in the editor, fix it.
    page.get_by_role("button", name="Сохранить и опубликовать курс").click()
    expect(page.get_by_role("heading", level=1, name="Не опубликовано")).to_be_visible()
    expect(page.get_by_role("link", name=f"{LESSON}:4:")).to_be_visible()
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert "много" not in (courses_dir / LESSON).read_text(encoding="utf-8")
    page.get_by_role("link", name="Вернуться в редактор").click()
    expect(page.locator("#source")).to_have_value(re.compile("minutes: много"))  # the form field

    # Fixed, the list says the course lints clean; save and publish.
    type_source(page, FRONT.format(minutes=12) + "Новый абзац про *агитацию*.\n")
    expect(problems).to_contain_text("Ошибок нет")
    page.get_by_role("button", name="Сохранить и опубликовать курс").click()
    expect(page.get_by_text("Курс опубликован")).to_be_visible()
    assert (courses_dir / LESSON).read_text(encoding="utf-8").endswith("Новый абзац про *агитацию*.\n")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Lesson.minutes).where(Lesson.key == "l-one")) == 12

    # As a candidate sees it: the lesson page's layout, the button switched off, nothing recorded.
    page.get_by_role("link", name="Посмотреть глазами кандидата").click()
    expect(page.get_by_role("heading", level=1, name="Первый урок")).to_be_visible()
    expect(page.locator("main .prose em")).to_have_text("агитацию")
    expect(page.get_by_role("button", name="Отметить как пройденный")).to_be_disabled()
    assert_accessible(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 0


def test_a_change_on_disk_meanwhile_is_refused_with_both_versions(
    page, live_server, login, imported, make_user, courses_dir
):
    make_user("root", role="admin")
    login("root", PASSWORD)
    open_editor(page, live_server)
    pushed = FRONT.format(minutes=10) + "Правка, пришедшая из git.\n"
    (courses_dir / LESSON).write_text(pushed, encoding="utf-8")  # someone pushed meanwhile
    type_source(page, FRONT.format(minutes=10) + "Моя правка в браузере.\n")
    page.get_by_role("button", name="Сохранить черновик").click()

    expect(page.get_by_role("heading", level=1, name="Файл успели изменить")).to_be_visible()
    mine = page.get_by_role("region", name="Ваша версия")
    theirs = page.get_by_role("region", name="Текущая версия")
    expect(mine.locator("textarea")).to_have_value(re.compile("Моя правка в браузере"))
    expect(theirs).to_contain_text("Правка, пришедшая из git.")
    expect(page.locator(".author-diff ins")).to_contain_text("Моя правка в браузере.")
    expect(page.locator(".author-diff del")).to_contain_text("Правка, пришедшая из git.")
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert (courses_dir / LESSON).read_text(encoding="utf-8") == pushed  # nothing overwritten

    # Having seen both, the author saves again: now knowingly, as a draft over the new version.
    page.get_by_role("button", name="Сохранить мою версию").click()
    expect(page.get_by_text("Черновик сохранён")).to_be_visible()
    expect(page.locator("#source")).to_have_value(re.compile("Моя правка в браузере"))
    assert (courses_dir / LESSON).read_text(encoding="utf-8") == pushed
    assert_accessible(page)

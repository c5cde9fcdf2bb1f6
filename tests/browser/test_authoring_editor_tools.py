"""The editor page's tools from the structure side: the CodeMirror editor over the textarea (Escape
then Tab leaves it), the scenario graph beside the text following what is typed, and an image
uploaded from the editor inserted as Markdown at the caret."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, assert_fits
from tests.conftest import DEFAULT_PASSWORD
from tests.teaching import teach

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "exercises" / "ex-course", target / "ex-course")
    return target


@pytest.fixture
def signed_in(page: Page, live_server, app, imported, make_user) -> str:
    make_user("igor", role="instructor", full_name="Игорь Петров")
    teach("igor", "ex-course")
    page.goto(f"{live_server}/login")
    page.get_by_label("Имя пользователя").fill("igor")
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    return live_server


def test_the_code_editor_is_labelled_and_escape_then_tab_leaves_it(page: Page, signed_in):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{signed_in}/author/edit/ex-course/01-praktika/01-urok.md")
    content = page.locator(".cm-editor").get_by_role("textbox", name="Текст в Markdown")
    expect(content).to_have_attribute("contenteditable", "true")  # CodeMirror, not the textarea
    expect(page.locator("textarea#source")).to_be_hidden()
    content.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")  # indents inside the editor
    expect(content).to_be_focused()
    page.keyboard.type("Новая строка")
    assert "Новая строка" in page.locator("textarea#source").input_value()  # kept in sync
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(content).not_to_be_focused()
    expect(page.get_by_role("button", name="Сохранить черновик")).to_be_focused()
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.locator(".cm-editor").get_by_role("textbox", name="Текст в Markdown")).to_contain_text(
        "Новая строка"
    )
    assert_accessible(page)
    assert_fits(page)
    assert errors == []  # the bundle's styles and scripts pass the page's CSP (no inline code)


def test_the_scenario_graph_follows_the_text(page: Page, signed_in):
    page.goto(f"{signed_in}/author/edit/ex-course/01-praktika/02-dver.md")
    graph = page.get_by_role("img", name="Граф сценария")
    expect(graph).to_be_visible()
    page.get_by_text("Граф списком").click()
    listing = page.locator("#scenario-graph details")
    expect(listing).not_to_contain_text("novyy-uzel")
    page.locator(".cm-editor").get_by_role("textbox", name="Текст в Markdown").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n## novyy-uzel [ending]\nНовая концовка.\n")
    expect(listing).to_contain_text("novyy-uzel (концовка)")
    expect(page.locator("#scenario-graph details")).to_have_attribute("open", "")
    assert_accessible(page)
    assert_fits(page)


def test_an_image_uploaded_in_the_editor_is_inserted_at_the_caret(page: Page, signed_in, courses_dir):
    page.goto(f"{signed_in}/author/edit/ex-course/01-praktika/01-urok.md")
    page.locator(".cm-editor").get_by_role("textbox", name="Текст в Markdown").click()
    page.keyboard.press("Control+End")
    page.get_by_text("Вставить изображение").click()
    page.get_by_label("Изображение (PNG, JPEG, GIF или WebP)").set_input_files(
        {"name": "карта.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_label("Описание для тех, кто не видит изображение").fill("Карта района")
    page.get_by_role("button", name="Загрузить и вставить").click()
    expect(page.locator("#image-status")).to_have_text("Изображение загружено и вставлено.")
    assert page.locator("textarea#source").input_value().endswith("![Карта района](img/karta.png)")
    assert (courses_dir / "ex-course/01-praktika/img/karta.png").read_bytes() == PNG


def test_the_code_editors_search_panel_speaks_russian(page: Page, signed_in):
    page.goto(f"{signed_in}/author/edit/ex-course/01-praktika/01-urok.md")
    page.locator(".cm-editor").get_by_role("textbox", name="Текст в Markdown").click()
    page.keyboard.press("Control+f")
    panel = page.locator(".cm-search")
    expect(panel.get_by_role("textbox", name="Найти")).to_be_focused()
    expect(panel.get_by_role("textbox", name="Заменить")).to_be_visible()
    for name in ("следующее", "предыдущее", "все", "заменить", "заменить все", "закрыть"):
        expect(panel.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(panel).not_to_contain_text("match case")

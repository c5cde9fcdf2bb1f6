"""Course structure in the browser: an instructor of the course creates a lesson from a template,
reorders it with the keyboard (focus stays on the moved entry), drags an entry to a new place,
uploads an image for the lesson and adds a survey from its template; every page fits 320 px and
passes axe-core."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.authoring.drafts import open_for_edit
from lms.authoring.frontmatter_edit import read_list
from lms.extensions import db
from tests.browser.conftest import assert_accessible, assert_fits
from tests.conftest import DEFAULT_PASSWORD
from tests.teaching import teach

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
MODULE = "ex-course/01-praktika/module.md"
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
def instructor(app, imported, make_user):
    make_user("igor", role="instructor", full_name="Игорь Петров")
    teach("igor", "ex-course")


def items() -> list[str]:
    db.session.rollback()  # what the server committed
    return read_list(open_for_edit(MODULE).text, "items")


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Имя пользователя").fill("igor")
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()


def test_create_a_lesson_reorder_it_by_keyboard_and_upload_an_image(
    page: Page, live_server, instructor, courses_dir
):
    sign_in(page, live_server)
    structure = f"{live_server}/author/course/ex-course/structure"
    page.goto(structure)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Структура курса")
    assert_accessible(page)

    # A new lesson from the template, at the end of the module.
    page.get_by_text("Новый материал в этом модуле").click()
    page.get_by_label("Вид").select_option("lesson")
    page.get_by_label("Название", exact=True).fill("Разбор участка")
    page.get_by_role("button", name="Создать по шаблону").click()
    expect(page.get_by_text("«Разбор участка» добавлен в черновиках.")).to_be_visible()
    assert items() == ["01-urok.md", "02-dver.md", "03-plan.md", "04-razbor-uchastka.md"]
    assert not (courses_dir / "ex-course/01-praktika/04-razbor-uchastka.md").exists()  # a draft only

    # Up twice with the keyboard: focus comes back to the moved lesson's "Up" each time.
    page.goto(structure)
    up = page.get_by_role("button", name="Выше: Разбор участка")
    up.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Перемещено выше.")).to_be_visible()
    expect(page.get_by_role("button", name="Выше: Разбор участка")).to_be_focused()
    page.keyboard.press("Enter")
    # The button keeps focus until the reply replaces the page, so wait for the new order
    # on the page before reading the drafts: the second move may not have landed yet.
    entries = page.locator("#m-01-praktika .structure-items > li")
    expect(entries.nth(1)).to_contain_text("Разбор участка")
    expect(page.get_by_role("button", name="Выше: Разбор участка")).to_be_focused()
    assert items() == ["01-urok.md", "04-razbor-uchastka.md", "02-dver.md", "03-plan.md"]
    assert_accessible(page)
    assert_fits(page)

    # Drag and drop: the plan dropped on top of the first lesson.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#i-01-praktika-03-plan\\.md > .structure-row").drag_to(
        page.locator("#i-01-praktika-01-urok\\.md > .structure-row"), target_position={"x": 20, "y": 2}
    )
    expect(page.get_by_text("Новый порядок сохранён в черновике.")).to_be_visible()
    assert items() == ["03-plan.md", "01-urok.md", "04-razbor-uchastka.md", "02-dver.md"]

    # An image for the first lesson: without the editor's script, the page shows the Markdown.
    page.get_by_role("link", name="Изображения (Как начинать разговор)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Изображения для")
    page.get_by_label("Изображение (PNG, JPEG, GIF или WebP)").set_input_files(
        {"name": "Схема участка.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_label("Описание для тех, кто не видит изображение").fill("Схема участка")
    page.get_by_role("button", name="Загрузить").click()
    expect(page.get_by_label("Markdown изображения")).to_have_value(
        "![Схема участка](img/skhema-uchastka.png)"
    )
    assert (courses_dir / "ex-course/01-praktika/img/skhema-uchastka.png").read_bytes() == PNG
    assert_accessible(page)
    assert_fits(page)

    # A survey from its template: the editor opens on it, and the course still lints clean.
    page.goto(structure)
    page.get_by_text("Новый материал в этом модуле").click()
    page.get_by_label("Вид").select_option("survey")
    page.get_by_label("Название", exact=True).fill("Отзыв о занятии")
    page.get_by_role("button", name="Создать по шаблону").click()
    expect(page.get_by_text("«Отзыв о занятии» добавлен в черновиках.")).to_be_visible()
    expect(page.get_by_text("Ошибок нет: курс проходит проверку.")).to_be_visible()
    assert items()[-1] == "05-otzyv-o-zanyatii.md"


def test_a_refused_image_is_shown_on_its_field(page: Page, live_server, instructor, courses_dir):
    sign_in(page, live_server)
    page.goto(f"{live_server}/author/images/ex-course/01-praktika/01-urok.md")
    page.get_by_label("Изображение (PNG, JPEG, GIF или WebP)").set_input_files(
        {
            "name": "drawing.svg",
            "mimeType": "image/svg+xml",
            "buffer": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        }
    )
    page.get_by_role("button", name="Загрузить").click()
    field = page.get_by_label("Изображение (PNG, JPEG, GIF или WebP)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Изображения SVG не принимаются")).to_be_visible()
    assert sorted(p.name for p in (courses_dir / "ex-course/01-praktika/img").iterdir()) == ["dot.png"]


def test_move_an_item_to_another_module_with_the_keyboard(page: Page, live_server, instructor, courses_dir):
    """A new module, then the plan moved into it from its own form: the flash tells that its link
    to the lesson beside it is rewritten (no warning), the lists change in drafts only; a refused
    move shows its error on the select."""
    sign_in(page, live_server)
    structure = f"{live_server}/author/course/ex-course/structure"
    page.goto(structure)
    page.get_by_role("textbox", name="Название модуля", exact=True).fill("Работа в поле")
    page.get_by_role("button", name="Добавить модуль").click()
    expect(page.get_by_text("Модуль добавлен в черновиках")).to_be_visible()
    # The flash shows before the page has loaded: focus set meanwhile may not survive the load
    # (a CI run under load found the select unfocused after the Tab).
    page.wait_for_load_state("load")
    course = read_list(open_for_edit("ex-course/course.md").text, "modules")
    assert len(course) == 2
    folder = course[1]

    plan = page.locator("#i-01-praktika-03-plan\\.md")
    summary = plan.get_by_text("Перенести в другой модуль")
    summary.focus()
    page.keyboard.press("Enter")  # opens the details
    select = plan.get_by_label("Перенести в модуль (План дворовой встречи)")
    expect(select).to_be_visible()
    page.keyboard.press("Tab")
    expect(select).to_be_focused()
    assert_accessible(page)
    select.select_option(label="Работа в поле")
    page.keyboard.press("Tab")
    button = plan.get_by_role("button", name="Перенести в модуль План дворовой встречи")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    # The move checks the whole course for links it broke before answering: on a loaded machine
    # (CI with other work) that took longer than expect's 5 s once.
    expect(page.get_by_text("Материал перенесён в другой модуль в черновиках")).to_be_visible(timeout=15_000)
    # Its link to the lesson beside it was relative to the old module: rewritten, so no warning.
    relinked = f"переписаны в черновике 1 файла: ex-course/{folder}/03-plan.md"
    expect(page.get_by_text(relinked)).to_be_visible()
    expect(page.get_by_text("После переноса не находится")).to_have_count(0)
    moved = page.locator(f"#i-{folder}-03-plan\\.md")
    expect(moved).to_contain_text("План дворовой встречи")
    expect(page.locator("#i-01-praktika-03-plan\\.md")).to_have_count(0)
    assert items() == ["01-urok.md", "02-dver.md"]
    plan_text = open_for_edit(f"ex-course/{folder}/03-plan.md").text
    assert "Образец — в [уроке](../01-praktika/01-urok.md)." in plan_text
    assert read_list(open_for_edit(f"ex-course/{folder}/module.md").text, "items") == [
        "01-vvedenie.md",
        "03-plan.md",
    ]
    assert (courses_dir / "ex-course/01-praktika/03-plan.md").exists()  # disk changes at publish
    assert open_for_edit("ex-course/01-praktika/03-plan.md").removed
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A file of the same name in the target: refused, the error on the select, nothing changed.
    (courses_dir / "ex-course/01-praktika/01-vvedenie.md").write_text("---\nid: x\ntitle: X\n---\n")
    intro = page.locator(f"#i-{folder}-01-vvedenie\\.md")
    intro.get_by_text("Перенести в другой модуль").click()
    intro.get_by_role("button", name="Перенести в модуль Введение").click()
    intro = page.locator(f"#i-{folder}-01-vvedenie\\.md")
    select = intro.get_by_label("Перенести в модуль (Введение)")
    expect(select).to_have_attribute("aria-invalid", "true")
    expect(intro.get_by_text("В модуле 01-praktika уже есть файл 01-vvedenie.md")).to_be_visible()
    assert items() == ["01-urok.md", "02-dver.md"]
    assert_accessible(page)
    assert_fits(page)

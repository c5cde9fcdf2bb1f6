"""The low-vision version in a browser: switched from the header by keyboard, large type, charts as
tables, no sideways scrolling at 320 px, no axe-core violation in Russian and English; and print."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lms.content.sync import sync_tree
from lms.extensions import db
from tests.browser.conftest import assert_accessible, assert_fits
from tests.dashboards.conftest import world  # noqa: F401  (fixture)

PASSWORD = "correct-horse-battery"
AFTER = "a => getComputedStyle(a, '::after').content"
ROOT_FONT_SIZE = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"


def press_tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Tab from the top of the page until the focused element is named `name` (or fail)."""
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.textContent.trim()")
        if focused == name:
            return
    raise AssertionError(f"{name!r} not reached by Tab on {page.url}")


def test_coordinator_switches_the_version_by_keyboard(page, live_server, login, world, make_user):  # noqa: F811
    make_user("olga", role="coordinator", full_name="Ольга")
    login("olga", PASSWORD)
    region_page = f"{live_server}/dashboard/regions/77"
    page.goto(region_page)
    normal_size = page.evaluate(ROOT_FONT_SIZE)
    chart = page.locator("figure.chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(page.locator("figure.chart details table")).to_be_hidden()

    press_tab_to(page, "Версия для слабовидящих")
    with page.expect_navigation():  # to the page's load: its style sheet applied, not only its HTML
        page.keyboard.press("Enter")
    expect(page).to_have_url(region_page)
    expect(page.locator("html")).to_have_class("low-vision")
    assert page.evaluate(ROOT_FONT_SIZE) >= 1.5 * normal_size
    # The chart is its table now.
    expect(chart).to_be_hidden()
    table = page.locator("figure.chart details table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(page.get_by_role("button", name="Обычная версия")).to_be_visible()
    # Black on white: the header lost its blue band.
    header_background = "() => getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    assert page.evaluate(header_background) == "rgba(0, 0, 0, 0)"
    assert_accessible(page)
    assert_fits(page, 320)
    assert_accessible(page)

    # Remembered: another page, and the account after signing in again.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/dashboard/")
    expect(page.locator("html")).to_have_class("low-vision")
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_class("low-vision")
    page.goto(region_page)
    expect(page.get_by_role("button", name="Normal version")).to_be_visible()
    assert_accessible(page)

    # On paper (an A4 sheet is about 700 CSS px wide): no menu, and the wide candidates table
    # fits the sheet instead of being cut off.
    page.set_viewport_size({"width": 700, "height": 900})
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("#candidates")).to_be_visible()
    table_width = page.evaluate("() => document.querySelector('#candidates').getBoundingClientRect().width")
    assert table_width <= page.evaluate("() => document.documentElement.clientWidth")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})

    press_tab_to(page, "Normal version")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("html")).not_to_have_class("low-vision")
    expect(page.get_by_role("button", name="Low-vision version")).to_be_visible()
    assert page.evaluate(ROOT_FONT_SIZE) == normal_size


def test_candidate_reads_a_lesson_in_the_low_vision_version_and_prints_it(
    page, live_server, imported, make_user
):
    make_user("anna", full_name="Анна Петрова")
    page.goto(f"{live_server}/login")
    # Switched before signing in: the sign-in page is already large, and the account adopts it.
    page.get_by_role("button", name="Версия для слабовидящих").click()
    expect(page.locator("html")).to_have_class("low-vision")
    assert_fits(page, 320)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Имя пользователя").fill("anna")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Мои курсы", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_class("low-vision")

    page.get_by_role("button", name="Начать курс").click()
    expect(page).to_have_url(re.compile(r"/courses/tiny-course/lessons/l-one$"))
    expect(page.locator("html")).to_have_class("low-vision")
    # One column: the contents sit under the lesson, not beside it.
    lesson = page.locator("article.lesson").bounding_box()
    aside = page.locator("aside.lesson-aside").bounding_box()
    assert aside["y"] >= lesson["y"] + lesson["height"]
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Главное")).to_be_hidden()
    expect(page.get_by_role("button", name="Отметить как пройденный")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("heading", name="Первый урок", level=1)).to_be_visible()
    expect(page.locator(".prose .admonition")).to_be_visible()
    assert page.evaluate("() => getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    page.emulate_media(media="screen")
    expect(page.locator(".site-header")).to_be_visible()


@pytest.fixture
def lesson_with_links(courses_dir):
    """The fixture course with a link to another site and one to a page here in the first lesson."""
    lesson = courses_dir / "tiny-course" / "01-one" / "01-first.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8")
        + "\n\nСм. [закон](https://example.org/law) и [курсы](/courses/tiny-course).\n",
        encoding="utf-8",
    )
    sync_tree(courses_dir)
    db.session.commit()


def test_print_drops_the_chrome_and_spells_out_links(page, live_server, login, lesson_with_links, make_user):
    make_user("anna")
    login("anna", PASSWORD)
    page.get_by_role("button", name="Начать курс").click()
    expect(page.locator("html")).not_to_have_class("low-vision")
    external = page.locator('.prose a[href="https://example.org/law"]')
    internal = page.locator('.prose a[href="/courses/tiny-course"]')
    assert external.evaluate(AFTER) == "none"
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Главное")).to_be_hidden()
    expect(page.get_by_role("button", name="Версия для слабовидящих")).to_be_hidden()
    expect(page.get_by_role("button", name="Отметить как пройденный")).to_be_hidden()
    expect(page.locator(".skip-link")).to_be_hidden()
    expect(page.locator(".prose")).to_be_visible()
    assert external.evaluate(AFTER) == '" (https://example.org/law)"'
    assert internal.evaluate(AFTER) == '" (/courses/tiny-course)"'

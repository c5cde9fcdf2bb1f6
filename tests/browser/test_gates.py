"""A closed module in a browser: the course page says why and links what opens it; the closed
lesson's address explains itself; both pages pass axe-core and fit 320 px, in the low-vision
version too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits
from tests.content.test_gates import add_front_matter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "good", root)
    add_front_matter(
        root / "tiny-course" / "02-two" / "module.md", "requires:\n  - module: m-one\nopens: 2020-01-01"
    )
    return root


def test_a_candidate_sees_why_a_module_is_closed_and_follows_the_way_out(
    page, live_server, login, imported, make_user
):
    make_user("anna", full_name="Анна")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/tiny-course")
    notice = page.locator(".module").nth(1).get_by_role("note")
    expect(notice).to_contain_text("Этот модуль пока закрыт")
    expect(notice.get_by_role("link", name="Первый модуль")).to_be_visible()
    expect(page.get_by_role("link", name="Третий урок")).to_have_count(0)
    assert_accessible(page)
    assert_fits(page, 320)

    page.goto(f"{live_server}/courses/tiny-course/lessons/l-three")
    expect(page.get_by_role("heading", level=1)).to_have_text("Пока закрыто")
    expect(page.get_by_role("main")).to_contain_text("Модуль «Второй модуль» откроется, когда:")
    assert_accessible(page)
    assert_fits(page, 320)
    page.get_by_role("button", name="Версия для слабовидящих").click()
    expect(page.locator("html")).to_have_class("low-vision")
    assert_accessible(page)
    assert_fits(page, 320)
    page.get_by_role("link", name="Первый модуль").click()
    expect(page).to_have_url(f"{live_server}/courses/tiny-course")

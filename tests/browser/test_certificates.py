"""A candidate finishes a small course, downloads the certificate, an anonymous visitor verifies
it; an admin revokes it and the check says so. Every new page passes axe-core and fits 320 px."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from tests.browser.conftest import assert_accessible, assert_fits

PASSWORD = "correct-horse-battery"


def test_finish_download_verify_and_revoke(
    browser: Browser, page, live_server, login, imported, make_user, tmp_path
):
    make_user("anna", full_name="Анна Петрова")
    make_user("boss", role="admin")
    login("anna", PASSWORD)
    page.get_by_role("button", name="Начать курс").click()
    page.get_by_role("button", name="Отметить как пройденный").click()  # l-one; l-two completes on view
    page.goto(f"{live_server}/courses/tiny-course/lessons/l-three")
    page.get_by_role("button", name="Отметить как пройденный").click()
    expect(page.get_by_role("status")).to_contain_text("Курс пройден")

    page.get_by_role("link", name="Мои курсы").first.click()
    expect(page.locator(".course-completed")).to_contain_text("Курс завершён")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Скачать сертификат")).click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    code = re.fullmatch(r"certificate-(.+)\.pdf", download.suggested_filename).group(1)
    text = PdfReader(saved).pages[0].extract_text()
    assert "Анна Петрова" in text and f"Код проверки: {code}" in text
    assert f"{live_server}/verify/{code}" in text
    assert_fits(page)

    # An anonymous visitor, in a browser of their own, types the code from the paper.
    visitor = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(f"{live_server}/verify")
    assert_accessible(visitor)
    visitor.get_by_label("Код проверки").fill(code)
    visitor.get_by_role("button", name="Проверить").click()
    expect(visitor.get_by_role("heading", name="Сертификат подлинный")).to_be_visible()
    expect(visitor.locator(".verify-result")).to_contain_text("Анна Петрова")
    expect(visitor.locator(".verify-result")).to_contain_text("Крошечный курс")
    assert_accessible(visitor)
    assert_fits(visitor)
    visitor.goto(f"{live_server}/verify/not-a-real-code-000000")
    expect(visitor.get_by_role("heading", name="Сертификата с таким кодом нет")).to_be_visible()
    assert_accessible(visitor)
    assert_fits(visitor)

    # The admin finds it in the list and revokes it with a reason.
    page.get_by_role("button", name="Выйти").click()
    page.set_viewport_size({"width": 1280, "height": 900})
    login("boss", PASSWORD)
    page.goto(f"{live_server}/dashboard/")
    page.get_by_role("link", name="Выданные сертификаты").click()
    expect(page.get_by_role("heading", name="Выданные сертификаты", level=1)).to_be_visible()
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Отозвать Анна Петрова").click()
    # The revoke form is a page of its own: axe runs on it once it is there, not on the list
    # mid-navigation (CI once caught axe with no document between the two).
    expect(page.get_by_label("Причина отзыва")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Причина отзыва").fill("Выдан по ошибке")
    page.get_by_role("button", name="Отозвать").click()
    expect(page.get_by_role("status")).to_contain_text("Сертификат отозван.")
    assert_fits(page)

    visitor.reload()
    visitor.goto(f"{live_server}/verify/{code}")
    expect(visitor.get_by_role("heading", name="Сертификат отозван")).to_be_visible()
    assert_accessible(visitor)
    visitor.context.close()

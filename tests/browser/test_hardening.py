"""Pages the hardening changed: session expiry on the sessions page, starting and taking over a
review with buttons, and the sign-in lockout message."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.browser.conftest import assert_accessible, assert_fits
from tests.conftest import csrf_from
from tests.exercises.files import pdf
from tests.teaching import teach

PASSWORD = "correct-horse-battery"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "exercises"
ASSIGNMENT = "/courses/ex-course/assignments/as-plan"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


def test_the_sessions_page_shows_when_sessions_expire(page, live_server, login, make_user):
    make_user("anna")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/account/sessions")
    expect(page.get_by_role("columnheader", name="Истекает")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)


def test_a_review_is_started_and_taken_over_with_buttons(app, page, live_server, login, make_user, imported):
    make_user("anna")
    make_user("igor", role="instructor")
    make_user("olga", role="instructor")
    teach("igor")
    teach("olga")
    anna = app.test_client()
    token = csrf_from(anna.get("/login").get_data(as_text=True))
    anna.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token})
    values = MultiDict(
        {"csrf_token": csrf_from(anna.get(ASSIGNMENT).get_data(as_text=True)), "text": "План", "submit": "1"}
    )
    values.add("files", FileStorage(io.BytesIO(pdf()), filename="план.pdf"))
    boundary, body = encode_multipart(values)
    assert (
        anna.post(ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}").status_code
        == 302
    )

    login("igor", PASSWORD)
    page.goto(f"{live_server}/review")
    page.locator("#queue").get_by_role("link", name="Открыть").click()
    expect(page.get_by_role("button", name="Принять")).to_have_count(0)
    assert_accessible(page)
    assert_fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Начать проверку").click()
    expect(page.get_by_role("button", name="Принять")).to_be_visible()
    page.get_by_role("button", name="Выйти").click()

    login("olga", PASSWORD)
    page.goto(f"{live_server}/review")
    page.locator("#queue").get_by_role("link", name="Открыть").click()
    expect(page.locator("#claim-warning")).to_contain_text("igor проверяет эту работу")
    assert_accessible(page)
    page.get_by_role("button", name="Забрать проверку себе").click()
    expect(page.locator("#claim-warning")).to_have_count(0)
    expect(page.get_by_role("button", name="Принять")).to_be_visible()


def test_the_lockout_message_is_announced(page, live_server, login, make_user):
    make_user("anna")
    for _ in range(5):
        login("anna", "wrong password")
    login("anna", PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Слишком много неудачных попыток")
    assert_accessible(page)
    assert_fits(page, 320)

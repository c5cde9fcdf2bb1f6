"""The low-vision version: switched by a POST from the header, kept in the `lv` cookie signed out
and on the user signed in, shown as `class="low-vision"` on `<html>`."""

from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.extensions import db

LOW_VISION_HTML = '<html lang="ru" class="low-vision">'
NORMAL_HTML = '<html lang="ru">'


def switch(auth, on: str, next: str = "/login", page: str = "/login"):
    return auth.post("/low-vision", {"on": on, "next": next}, page=page)


def stored(user_id: int) -> bool:
    """The user's choice as the database has it now (a fresh transaction: no stale snapshot)."""
    db.session.rollback()
    return db.session.get(User, user_id).low_vision


def test_signed_out_the_cookie_switches_the_version_on_and_off(client, auth):
    html = client.get("/login").get_data(as_text=True)
    assert NORMAL_HTML in html
    assert "Версия для слабовидящих</button>" in html

    response = switch(auth, "1", next="/login?next=%2F")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2F"
    assert client.get_cookie("lv").value == "1"
    html = client.get("/login").get_data(as_text=True)
    assert LOW_VISION_HTML in html
    assert "Обычная версия</button>" in html
    assert '<input type="hidden" name="on" value="0">' in html

    switch(auth, "0")
    assert client.get_cookie("lv") is None
    assert NORMAL_HTML in client.get("/login").get_data(as_text=True)


def test_the_switch_is_in_english_too(client, auth):
    auth.post("/language/en", {"next": "/login"}, page="/login")
    assert "Low-vision version</button>" in client.get("/login").get_data(as_text=True)
    switch(auth, "1")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en" class="low-vision">' in html
    assert "Normal version</button>" in html


def test_a_get_changes_nothing(client, auth, make_user):
    user = make_user("anna")
    auth.login("anna")
    response = client.get("/low-vision?on=1&next=/")
    assert response.status_code == 405
    assert client.get_cookie("lv") is None
    assert stored(user.id) is False
    assert NORMAL_HTML in client.get("/").get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client):
    response = client.post("/low-vision", data={"on": "1", "next": "/login"})
    assert response.status_code == 400
    assert client.get_cookie("lv") is None


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_a_foreign_or_missing_next_goes_home(client, auth, next_url):
    response = switch(auth, "1", next=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signed_in_the_choice_is_stored_on_the_user(app, client, auth, make_user):
    user = make_user("anna")
    auth.login("anna")
    response = switch(auth, "1", next="/account", page="/account")
    assert response.headers["Location"] == "/account"
    assert stored(user.id) is True
    assert LOW_VISION_HTML in client.get("/account").get_data(as_text=True)

    # Another browser: no cookie there, the account brings the choice along at sign-in.
    other = app.test_client()
    other_auth = type(auth)(other)
    assert NORMAL_HTML in other.get("/login").get_data(as_text=True)
    other_auth.login("anna")
    assert other.get_cookie("lv").value == "1"
    assert LOW_VISION_HTML in other.get("/").get_data(as_text=True)

    switch(auth, "0", next="/", page="/")
    assert stored(user.id) is False
    assert client.get_cookie("lv") is None
    assert NORMAL_HTML in client.get("/").get_data(as_text=True)


def test_the_account_wins_over_a_stale_cookie_while_signed_in(client, auth, make_user):
    user = make_user("anna")
    auth.login("anna")
    client.set_cookie("lv", "1")
    response = client.get("/")
    assert NORMAL_HTML in response.get_data(as_text=True)
    assert client.get_cookie("lv") is None  # the cookie followed the account
    assert stored(user.id) is False


def test_signing_in_with_the_version_on_turns_it_on_for_the_user(client, auth, make_user):
    user = make_user("anna")
    switch(auth, "1")
    auth.login("anna")
    assert stored(user.id) is True
    assert LOW_VISION_HTML in client.get("/").get_data(as_text=True)


def test_signing_out_keeps_the_users_version_in_this_browser(client, auth, make_user):
    user = make_user("anna")
    user.low_vision = True
    db.session.commit()
    auth.login("anna")
    auth.logout()
    assert LOW_VISION_HTML in client.get("/login").get_data(as_text=True)


def test_the_profile_page_sets_the_version(client, auth, make_user):
    user = make_user("anna")
    auth.login("anna")
    html = client.get("/account").get_data(as_text=True)
    assert '<input id="low_vision" name="low_vision" type="checkbox" value="y">' in html
    assert "Версия для слабовидящих: крупный шрифт, высокая контрастность, одна колонка" in html
    form = {"full_name": "Анна", "email": "", "locale": "ru", "timezone": "Europe/Moscow", "low_vision": "y"}
    response = auth.post("/account", form, page="/account")
    assert response.status_code == 302
    assert stored(user.id) is True
    assert client.get_cookie("lv").value == "1"
    html = client.get("/account").get_data(as_text=True)
    assert '<input checked id="low_vision" name="low_vision" type="checkbox" value="y">' in html
    assert LOW_VISION_HTML in html
    form.pop("low_vision")
    auth.post("/account", form, page="/account")
    assert stored(user.id) is False
    assert client.get_cookie("lv") is None

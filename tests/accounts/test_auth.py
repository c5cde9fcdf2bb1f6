"""Login, logout, sessions revoked on the server, throttling, safe next, roles."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import LoginSession, User
from lms.accounts.services import deactivate_user
from lms.accounts.views import safe_next
from lms.config import Config
from lms.extensions import db


def test_login_page_has_named_fields_and_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrf_token"' in html
    assert '<label for="username"' in html


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("anna")
    response = client.post("/login", data={"username": "anna", "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_and_logout(client, auth, make_user):
    make_user("anna")
    response = auth.login("anna")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, auth, make_user):
    make_user("anna")
    wrong_password = auth.login("anna", "nope-nope-nope").get_data(as_text=True)
    unknown_user = auth.login("nobody", "nope-nope-nope").get_data(as_text=True)
    for html in (wrong_password, unknown_user):
        assert "Неверное имя пользователя или пароль" in html


def test_password_is_hashed(app, make_user):
    user = make_user("anna")
    assert "correct-horse-battery" not in user.password_hash
    assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    assert user.check_password("correct-horse-battery") and not user.check_password("correct-horse-batter")


def test_production_hashing_is_scrypt(app, make_user):
    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    user = make_user("anna")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct-horse-battery")


def test_logout_revokes_the_session_on_the_server(app, client, auth, make_user):
    make_user("anna")
    auth.login("anna")
    stolen_cookie = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen_cookie)
    assert thief.get("/").status_code == 302, "a copied cookie must not outlive logout"


def test_deactivation_ends_existing_sessions(app, client, auth, make_user):
    user = make_user("anna")
    auth.login("anna")
    assert client.get("/").status_code == 200
    deactivate_user(db.session.get(User, user.id))
    db.session.commit()
    assert client.get("/").status_code == 302
    assert auth.login("anna").status_code == 200  # the form again, with an error


def test_each_login_gets_a_new_session_token(app, auth, make_user):
    user = make_user("anna")
    auth.login("anna")
    auth.logout()
    auth.login("anna")
    rows = db.session.scalars(sa.select(LoginSession).where(LoginSession.user_id == user.id)).all()
    assert len(rows) == 2
    assert rows[0].token_hash != rows[1].token_hash
    assert rows[0].revoked_at is not None and rows[1].revoked_at is None


def test_login_is_throttled_after_repeated_failures(app, auth, make_user):
    make_user("anna")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login("anna", "wrong-password").status_code == 200
    locked = auth.login("anna")  # even the right password waits out the lockout
    assert locked.status_code == 429


def test_safe_next_redirect(client, auth, make_user):
    make_user("anna")
    response = auth.login("anna", next="https://evil.example/steal")
    assert response.headers["Location"] == "/resume"  # the candidate's "continue where you left off"
    auth.logout()
    response = auth.login("anna", next="/courses/x")
    assert response.headers["Location"] == "/courses/x"


def test_safe_next_rejects_other_hosts():
    for bad in ("//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "evil"):
        assert safe_next(bad) is None, bad
    assert safe_next("/courses/a?b=1") == "/courses/a?b=1"


def test_wrong_role_gets_403(client, auth, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    # Only candidates record progress; a coordinator posting to it is refused.
    response = auth.post("/courses/any/lessons/any/complete")
    assert response.status_code == 403
    assert "Доступ запрещён" in response.get_data(as_text=True)  # Russian: the school's default


def test_language_switch(client, auth, make_user):
    make_user("anna")
    auth.login("anna")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="ru">' in html
    auth.post("/language/en", {"next": "/"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


# --- Signing out on a shared phone -----------------------------------------------------------------


def test_logout_asks_the_browser_to_clear_its_copies(client, auth, make_user):
    """The HTTP cache and this site's storage (the attendance list's service worker, its offline
    copy and the queue of unsent marks); cookies stay (language, low-vision choice)."""
    make_user("anna")
    auth.login("anna")
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/").status_code == 302


def test_only_logout_clears_the_site(client, auth, make_user):
    make_user("anna")
    assert "Clear-Site-Data" not in auth.login("anna").headers
    assert "Clear-Site-Data" not in client.get("/").headers


def test_logout_is_a_post_with_csrf(client, auth, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get("/logout").status_code == 405
    refused = client.post("/logout")  # no token: a page elsewhere cannot sign anyone out
    assert refused.status_code == 400
    assert "Clear-Site-Data" not in refused.headers
    assert client.get("/").status_code == 200
    html = client.get("/").get_data(as_text=True)
    form = html[html.index('<form method="post" action="/logout"') :]
    form = form[: form.index("</form>")]
    assert 'id="signout-form"' in form and 'name="csrf_token"' in form


def test_the_sign_out_warning_comes_with_signed_in_pages_only(client, auth, make_user):
    """The dialog is a signed-in page's; the script comes with every page, as signed out it
    removes what the attendance list may have left in the browser."""
    make_user("anna")
    signed_out = client.get("/login").get_data(as_text=True)
    assert 'id="signout-warning"' not in signed_out and "/static/js/signout.js" in signed_out
    auth.login("anna")
    html = client.get("/").get_data(as_text=True)
    assert 'id="signout-warning"' in html and "/static/js/signout.js" in html
    assert "Не отправлено отметок с этого телефона: {count}." in html

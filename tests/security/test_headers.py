"""Personal pages stay out of caches; HTTPS deployments ask browsers for HTTPS only; static files
stay cacheable."""

from __future__ import annotations

from tests.conftest import csrf_from

NO_STORE = "private, no-store"


def test_signed_in_pages_are_private_and_not_stored(client, auth, imported, make_user):
    make_user("anna")
    response = auth.login("anna")
    assert response.status_code == 302
    assert any(value.startswith("session=") for value in response.headers.getlist("Set-Cookie"))
    assert response.headers["Cache-Control"] == NO_STORE  # the sign-in's redirect sets the cookie
    for path in ("/", "/account", "/account/sessions", "/courses/tiny-course/lessons/l-one", "/no-such-page"):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == NO_STORE, path


def test_a_course_image_is_cached_by_the_browser_only(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    response = client.get("/courses/tiny-course/assets/01-one/img/dot.png")
    assert response.status_code == 200
    cache = response.cache_control
    assert cache.private and not cache.public and cache.max_age == 3600 and not cache.no_store
    response.close()


def test_static_files_stay_cacheable_for_everyone(client, auth, make_user):
    make_user("anna")
    for signed_in in (False, True):
        if signed_in:
            auth.login("anna")
        response = client.get("/static/css/app.css")
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
        assert "private" not in response.headers.get("Cache-Control", "")
        response.close()


def test_a_form_that_sets_the_session_cookie_is_not_stored(client):
    response = client.get("/login")
    assert response.headers["Set-Cookie"].startswith("session=")
    assert response.headers["Cache-Control"] == NO_STORE
    csrf_from(response.get_data(as_text=True))


def test_strict_transport_security_only_when_cookies_are_https_only(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    response = client.get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    response.close()

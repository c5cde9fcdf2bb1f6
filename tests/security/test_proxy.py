"""X-Forwarded-For is believed only from the configured proxies: a client cannot pick the address
that throttling counts and the audit log records."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.accounts.models import LoginFailure
from lms.audit.models import AuditEvent
from lms.core import proxy
from lms.extensions import db
from tests.conftest import csrf_from

PROXY = "10.0.0.7"
CLIENT = "203.0.113.5"
SPOOFED = "198.51.100.99"


@pytest.fixture
def proxied(app):
    """The app behind a proxy at 10.0.0.0/24, as create_app wires it from the settings."""
    app.config["TRUSTED_PROXIES"] = ["10.0.0.0/24"]
    proxy.init_app(app)
    return app


def failed_login(app, remote_addr: str, forwarded_for: str | None) -> tuple[str, str]:
    """A wrong password sent over a connection from `remote_addr`; the addresses the throttle and
    the audit log recorded for it."""
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    environ = {"REMOTE_ADDR": remote_addr}
    token = csrf_from(client.get("/login", environ_base=environ).get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": "anna", "password": "wrong password", "csrf_token": token},
        headers=headers,
        environ_base=environ,
    )
    assert response.status_code == 200
    db.session.rollback()
    failure = db.session.scalar(sa.select(LoginFailure).order_by(LoginFailure.id.desc()))
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id.desc())
    )
    return failure.address, event.address


@pytest.mark.own_app  # the proxy middleware is wired into this app
def test_a_spoofed_header_from_a_client_is_ignored(proxied, make_user):
    make_user("anna")
    assert failed_login(proxied, CLIENT, SPOOFED) == (CLIENT, CLIENT)


@pytest.mark.own_app
def test_the_header_from_a_trusted_proxy_names_the_client(proxied, make_user):
    make_user("anna")
    assert failed_login(proxied, PROXY, f"{SPOOFED}, {CLIENT}") == (CLIENT, CLIENT)  # the last hop counts


def test_without_trusted_proxies_no_header_is_believed(app, make_user):
    make_user("anna")
    assert failed_login(app, PROXY, SPOOFED) == (PROXY, PROXY)


def echo_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    seen = [
        environ.get("REMOTE_ADDR", ""),
        environ["wsgi.url_scheme"],
        environ.get("HTTP_X_FORWARDED_FOR", ""),
    ]
    return ["|".join(seen).encode()]


def call(middleware, remote_addr: str, **headers: str) -> str:
    environ = {
        "REMOTE_ADDR": remote_addr,
        "wsgi.url_scheme": "http",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
    }
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return b"".join(middleware(environ, lambda *_: None)).decode()


def test_the_middleware_trusts_addresses_and_networks_only():
    middleware = proxy.TrustedProxyFix(echo_app, ["127.0.0.1", "10.1.0.0/16", "::1"])
    forwarded = {"x_forwarded_for": SPOOFED, "x_forwarded_proto": "https"}
    assert call(middleware, "127.0.0.1", **forwarded) == f"{SPOOFED}|https|{SPOOFED}"
    assert call(middleware, "10.1.200.3", **forwarded) == f"{SPOOFED}|https|{SPOOFED}"
    assert call(middleware, "::1", **forwarded) == f"{SPOOFED}|https|{SPOOFED}"
    assert call(middleware, "::ffff:127.0.0.1", **forwarded) == f"{SPOOFED}|https|{SPOOFED}"
    # Not trusted: the address is the connection's, the scheme is the connection's, the header is gone.
    assert call(middleware, "10.2.0.1", **forwarded) == "10.2.0.1|http|"
    assert call(middleware, "not an address", **forwarded) == "not an address|http|"


def test_create_app_reads_the_settings(database_url):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": "10.9.0.1"}
    )
    assert isinstance(app.wsgi_app, proxy.TrustedProxyFix)
    assert app.wsgi_app.is_trusted("10.9.0.1") and not app.wsgi_app.is_trusted("10.9.0.2")
    with pytest.raises(ValueError):
        create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": ["10.0.0.300"]}
        )

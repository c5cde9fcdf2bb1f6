"""Login throttling: parallel guesses cannot outrun the limit, and a guesser elsewhere cannot lock
the owner out of a browser they signed in from before."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts import services, throttle
from lms.accounts.models import LoginFailure
from lms.accounts.tokens import Purpose, set_password_link
from lms.core.time import utcnow
from lms.extensions import db
from tests.conftest import DEFAULT_PASSWORD, csrf_from

WRONG = "not the password"
OWNER_ADDRESS = "192.0.2.10"


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """Every password check the login page makes, by username (counted, not faked)."""
    checks: list[str] = []
    real = services.authenticate

    def counting(username: str, password: str):
        checks.append(username)
        return real(username, password)

    monkeypatch.setattr(services, "authenticate", counting)
    return checks


def browser(app, address: str):
    """A browser of its own (cookie jar) at a client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, username: str, password: str):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def failures() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure))


def test_parallel_wrong_guesses_get_at_most_the_limit_of_password_checks(app, make_user, password_checks):
    make_user("anna")
    limit = app.config["LOGIN_MAX_FAILURES"]
    guessers = [browser(app, f"198.51.100.{n}") for n in range(40)]  # a botnet: one address each
    tokens = [csrf_from(client.get("/login").get_data(as_text=True)) for client in guessers]
    barrier = threading.Barrier(len(guessers))
    statuses: list[int] = []

    def guess(client, token) -> None:
        barrier.wait()
        try:
            data = {"username": "anna", "password": WRONG, "csrf_token": token}
            statuses.append(client.post("/login", data=data).status_code)
        except Exception:
            statuses.append(500)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(guessers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 40 and set(statuses) <= {200, 429}, statuses
    assert len(password_checks) <= limit
    assert statuses.count(200) == len(password_checks)
    # Refused guesses checked nothing and left nothing behind: the next ones fill the limit exactly.
    for n in range(limit - len(password_checks)):
        assert sign_in(browser(app, f"203.0.113.{n}"), "anna", WRONG).status_code == 200
    assert sign_in(browser(app, "203.0.113.99"), "anna", WRONG).status_code == 429
    assert len(password_checks) == limit and failures() == limit


def test_a_guesser_elsewhere_cannot_lock_the_owner_out_of_a_known_browser(app, make_user, password_checks):
    make_user("anna")
    owner = browser(app, OWNER_ADDRESS)
    assert sign_in(owner, "anna", DEFAULT_PASSWORD).status_code == 302  # the browser becomes known
    owner.post("/logout", data={"csrf_token": csrf_from(owner.get("/").get_data(as_text=True))})
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in(browser(app, f"198.51.100.{n}"), "anna", WRONG).status_code == 200
    # Unknown browsers are locked out, the right password included, and nothing is checked...
    checks = len(password_checks)
    stranger = sign_in(browser(app, "198.51.100.200"), "anna", DEFAULT_PASSWORD)
    assert stranger.status_code == 429
    assert "или задайте новый пароль по ссылке «Забыли пароль?»" in stranger.get_data(as_text=True)
    assert sign_in(browser(app, OWNER_ADDRESS), "anna", DEFAULT_PASSWORD).status_code == 429
    assert len(password_checks) == checks
    # ...but the browser that signed in before still signs in.
    assert sign_in(owner, "anna", DEFAULT_PASSWORD).status_code == 302


def test_a_known_browser_has_its_own_limit(app, make_user):
    make_user("anna")
    make_user("boris")
    shared = browser(app, OWNER_ADDRESS)
    assert sign_in(shared, "anna", DEFAULT_PASSWORD).status_code == 302
    shared.post("/logout", data={"csrf_token": csrf_from(shared.get("/").get_data(as_text=True))})
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in(shared, "anna", WRONG).status_code == 200
    locked = sign_in(shared, "anna", DEFAULT_PASSWORD)
    assert locked.status_code == 429
    html = locked.get_data(as_text=True)
    assert "Слишком много неудачных попыток. Подождите 15 минут и попробуйте ещё раз.</" in html
    # The cookie vouches for anna only: boris on this browser is an unknown browser, not locked.
    assert sign_in(shared, "boris", DEFAULT_PASSWORD).status_code == 302
    # Nor are anna's unknown browsers: the known one's failures were its own.
    assert sign_in(browser(app, "198.51.100.1"), "anna", DEFAULT_PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(app, make_user):
    make_user("anna")
    per_address = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    sprayer = browser(app, "198.51.100.7")
    for n in range(per_address):
        assert sign_in(sprayer, f"user{n}", WRONG).status_code == 200
    refused = sign_in(sprayer, "anna", DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert "Слишком много неудачных попыток из вашей сети" in refused.get_data(as_text=True)
    assert sign_in(browser(app, "198.51.100.8"), "anna", DEFAULT_PASSWORD).status_code == 302


def test_a_set_password_link_makes_the_browser_known(app, make_user):
    """The owner on a new computer while the account is under attack: the mailed link lets them in."""
    anna = make_user("anna", email="anna@example.org")
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(browser(app, f"198.51.100.{n}"), "anna", WRONG)
    owner = browser(app, OWNER_ADDRESS)
    assert sign_in(owner, "anna", DEFAULT_PASSWORD).status_code == 429
    link = set_password_link(anna, Purpose.RESET).split("://", 1)[1].split("/", 1)[1]
    page = owner.get(f"/{link}")
    new_password = "a brand new passphrase 42"
    response = owner.post(
        f"/{link}",
        data={
            "password": new_password,
            "confirm": new_password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert sign_in(owner, "anna", new_password).status_code == 302


def test_forged_or_foreign_device_cookies_count_as_unknown_browsers(app, make_user):
    make_user("anna")
    make_user("boris")
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(browser(app, f"198.51.100.{n}"), "anna", WRONG)
    borrowed = browser(app, OWNER_ADDRESS)
    assert sign_in(borrowed, "boris", DEFAULT_PASSWORD).status_code == 302  # a cookie for boris
    cookie = borrowed.get_cookie(app.config["LOGIN_DEVICE_COOKIE"])
    assert cookie is not None
    forged = browser(app, OWNER_ADDRESS)
    forged.set_cookie(app.config["LOGIN_DEVICE_COOKIE"], cookie.value.replace("boris", "anna"))
    assert sign_in(forged, "anna", DEFAULT_PASSWORD).status_code == 429
    borrowed.post("/logout", data={"csrf_token": csrf_from(borrowed.get("/").get_data(as_text=True))})
    assert sign_in(borrowed, "anna", DEFAULT_PASSWORD).status_code == 429


def test_a_success_forgives_the_browsers_own_typos_only(app, make_user):
    make_user("anna")
    owner = browser(app, OWNER_ADDRESS)
    for _ in range(3):
        sign_in(owner, "anna", WRONG)
    sign_in(browser(app, "198.51.100.1"), "anna", WRONG)  # someone else's guess
    assert failures() == 4
    assert sign_in(owner, "anna", DEFAULT_PASSWORD).status_code == 302
    db.session.rollback()
    rows = db.session.scalars(sa.select(LoginFailure)).all()
    assert [(row.username, row.address) for row in rows] == [("anna", "198.51.100.1")]


def test_old_attempts_stop_counting_and_are_pruned_on_the_next_attempt(app, make_user):
    make_user("anna")
    window = app.config["LOGIN_FAILURE_WINDOW"]
    old = utcnow() - window - timedelta(minutes=1)
    db.session.add_all(
        [LoginFailure(username="anna", address=f"198.51.100.{n}", at=old) for n in range(10)]
        + [LoginFailure(username="boris", address="198.51.100.1", at=old)]
    )
    db.session.commit()
    assert sign_in(browser(app, OWNER_ADDRESS), "anna", WRONG).status_code == 200
    db.session.rollback()
    rows = db.session.scalars(sa.select(LoginFailure).order_by(LoginFailure.id)).all()
    assert [(row.username, row.address) for row in rows] == [
        ("boris", "198.51.100.1"),
        ("anna", OWNER_ADDRESS),
    ]
    assert throttle.delete_old_failures(window) == 1

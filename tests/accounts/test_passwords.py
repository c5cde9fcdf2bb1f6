"""Password rules, set-password links, forgotten passwords, the profile and own sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.passwords import check_password_rules, common_passwords
from lms.accounts.tokens import Purpose, TokenProblem, TokenRefused, make_token, read_token
from lms.audit.models import AuditEvent
from lms.core.errors import ValidationError
from lms.extensions import db
from lms.mail.models import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD, AuthActions, csrf_from


def _fresh() -> None:
    db.session.commit()
    db.session.expire_all()


def _user(username: str) -> User:
    _fresh()
    return db.session.scalar(sa.select(User).where(User.username == username))


# --- Rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short", "не короче 10"),
        ("qwerty123456", "слишком распространённый"),
        ("password1234", "слишком распространённый"),
        ("aaaaaaaaaaaaaa", "слишком распространённый"),  # fewer than three different characters
        ("anna-the-great-1", "имя пользователя"),
        ("x" * 201, "не длиннее 200"),
    ],
)
def test_password_rules_refuse(app, password, expected):
    with pytest.raises(ValidationError) as refused:
        check_password_rules(password, username="anna", email="anna@example.org")
    assert refused.value.field == "password" and expected in str(refused.value.message)


def test_password_rules_accept_a_passphrase(app):
    check_password_rules("лето в тверской области", username="anna")
    check_password_rules(DEFAULT_PASSWORD, username="anna")


def test_the_common_password_list_is_shipped_with_its_licence(app):
    from lms.accounts.passwords import COMMON_PASSWORDS_FILE

    assert len(common_passwords()) > 19_000 and "123456" in common_passwords()
    assert (
        (COMMON_PASSWORDS_FILE.parent / "COMMON-PASSWORDS-LICENSE").read_text().startswith("common-passwords")
    )


def test_cli_applies_the_same_rules(runner):
    result = runner.invoke(args=["users", "create", "ivan", "--role", "admin", "--password", "qwerty123456"])
    assert result.exit_code != 0 and "слишком распространённый" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "ivan")) is None


# --- Set-password links --------------------------------------------------------------------------------


def test_a_link_dies_once_used_and_when_expired(app, make_user):
    user = make_user("anna")
    token = make_token(user, Purpose.RESET)
    assert read_token(token).user.id == user.id
    user.set_password("another-long-secret")
    db.session.commit()
    with pytest.raises(TokenRefused) as refused:
        read_token(token)
    assert refused.value.problem is TokenProblem.USED
    app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(seconds=-1)
    with pytest.raises(TokenRefused) as refused:
        read_token(make_token(user, Purpose.RESET))
    assert refused.value.problem is TokenProblem.EXPIRED


@pytest.mark.parametrize("token", ["garbage", "a" * 500, "eyJ1IjoxfQ.fake.sig", "..", "%E2%80%AE"])
def test_forged_links_are_refused_without_a_500(client, token):
    response = client.get(f"/password/set/{token}")
    assert response.status_code == 410 and "недействительна" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_link_is_a_bad_request(client):
    assert client.get("/password/set/abc%00def").status_code == 400


def test_a_deactivated_users_link_is_refused(app, client, make_user):
    from lms.accounts.services import deactivate_user

    user = make_user("anna")
    token = make_token(user, Purpose.RESET)
    deactivate_user(user)
    db.session.commit()
    assert client.get(f"/password/set/{token}").status_code == 410


def test_setting_a_password_checks_the_rules_and_ends_sessions(app, client, make_user):
    user = make_user("anna")
    elsewhere = app.test_client()
    AuthActions(elsewhere).login("anna")
    token = make_token(user, Purpose.RESET)
    page = client.get(f"/password/set/{token}").get_data(as_text=True)
    weak = client.post(
        f"/password/set/{token}",
        data={"password": "12345678901", "confirm": "12345678901", "csrf_token": csrf_from(page)},
    )
    assert weak.status_code == 400 and "распространённый" in weak.get_data(as_text=True)
    differ = client.post(
        f"/password/set/{token}",
        data={"password": "long-new-secret-1", "confirm": "other", "csrf_token": csrf_from(page)},
    )
    assert differ.status_code == 400 and "не совпадают" in differ.get_data(as_text=True)
    done = client.post(
        f"/password/set/{token}",
        data={"password": "long-new-secret-1", "confirm": "long-new-secret-1", "csrf_token": csrf_from(page)},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/login?username=anna"
    assert elsewhere.get("/").status_code == 302  # the old session ended
    assert _user("anna").check_password("long-new-secret-1")
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "password.reset"))


# --- Forgotten password ---------------------------------------------------------------------------------


def _forgot(client, login: str):
    page = client.get("/password/forgot").get_data(as_text=True)
    return client.post("/password/forgot", data={"login": login, "csrf_token": csrf_from(page)})


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(client, make_user):
    make_user("anna", email="anna@example.org")
    make_user("boris")  # no email
    answers = {
        login: _forgot(client, login) for login in ("anna@example.org", "ANNA", "boris", "nobody", "x@y.z")
    }
    bodies = {re.sub(r'name="csrf_token"[^>]*>', "", r.get_data(as_text=True)) for r in answers.values()}
    assert {r.status_code for r in answers.values()} == {200} and len(bodies) == 1
    _fresh()
    assert db.session.scalars(sa.select(OutboxMessage.to_address)).all() == ["anna@example.org"] * 2


def test_forgot_password_mails_at_most_three_links_an_hour(client, make_user):
    make_user("anna", email="anna@example.org")
    for _ in range(5):
        _forgot(client, "anna")
    _fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 3


def test_reset_links_use_the_configured_address_not_the_host_header(app, client, make_user):
    make_user("anna", email="anna@example.org")
    page = client.get("/password/forgot", headers={"Host": "evil.example"}).get_data(as_text=True)
    client.post(
        "/password/forgot",
        data={"login": "anna", "csrf_token": csrf_from(page)},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    _fresh()
    body = db.session.scalar(sa.select(OutboxMessage.body_text))
    assert "evil.example" not in body and app.config["PUBLIC_URL"] + "/password/set/" in body


def test_the_reset_mail_is_in_the_recipients_language(client, make_user):
    user = make_user("anna", email="anna@example.org")
    user.locale = "en"
    db.session.commit()
    _forgot(client, "anna")
    _fresh()
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.subject == "Resetting your password at the Higher Party School"
    assert message.body_text.startswith("Hello, anna!\n")  # no full name given: the username


def test_cli_reset_password_prints_a_working_link(app, runner, make_user):
    make_user("anna")
    result = runner.invoke(args=["users", "reset-password", "anna"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith(app.config["PUBLIC_URL"] + "/password/set/")
    assert app.test_client().get(link.removeprefix(app.config["PUBLIC_URL"])).status_code == 200
    assert runner.invoke(args=["users", "reset-password", "nobody"]).exit_code != 0


# --- Own account ------------------------------------------------------------------------------------------


def test_profile_changes_name_email_language_and_time_zone(client, auth, make_user):
    make_user("anna")
    auth.login("anna")
    form = {
        "full_name": "Анна Петрова",
        "email": "Anna@Example.org",
        "locale": "en",
        "timezone": "Asia/Vladivostok",
    }
    assert auth.post("/account", form, page="/account").status_code == 302
    anna = _user("anna")
    assert (anna.full_name, anna.email, anna.locale, anna.timezone) == (
        "Анна Петрова",
        "anna@example.org",
        "en",
        "Asia/Vladivostok",
    )
    html = client.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in html and "Vladivostok (UTC+10)" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "taken@example.org", "другая учётная запись"),
        ("email", "nope", "не адрес"),
        ("timezone", "Mars/Olympus", "Неизвестный часовой пояс"),
        ("locale", "fr", "Неизвестный язык"),
    ],
)
def test_profile_errors_are_field_errors(client, auth, make_user, field, value, message):
    make_user("boris", email="taken@example.org")
    make_user("anna")
    auth.login("anna")
    form = {"full_name": "Анна", "email": "", "locale": "ru", "timezone": "Europe/Moscow", field: value}
    response = auth.post("/account", form, page="/account")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_dates_follow_the_users_time_zone(app, client, auth, make_user):
    from datetime import UTC, datetime

    user = make_user("anna")
    user.timezone = "Asia/Kamchatka"
    db.session.commit()
    auth.login("anna")
    with app.test_request_context():
        from flask_login import login_user

        login_user(user)
        from flask_babel import format_datetime

        assert format_datetime(datetime(2026, 12, 6, 0, 0, tzinfo=UTC), "HH:mm") == "12:00"


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, client, auth, make_user):
    make_user("anna")
    other = app.test_client()
    AuthActions(other).login("anna")
    auth.login("anna")
    wrong = auth.post(
        "/account/password",
        {"current_password": "wrong-one-here", "password": "fresh-secret-42", "confirm": "fresh-secret-42"},
        page="/account/password",
    )
    assert wrong.status_code == 400 and "неверно" in wrong.get_data(as_text=True)
    done = auth.post(
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "password": "fresh-secret-42", "confirm": "fresh-secret-42"},
        page="/account/password",
    )
    assert done.status_code == 302
    assert client.get("/account").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one ended
    assert _user("anna").check_password("fresh-secret-42")


def test_own_sessions_list_and_end_one(app, client, auth, make_user):
    make_user("anna")
    phone = app.test_client()
    AuthActions(phone).login("anna")
    auth.login("anna")
    html = client.get("/account/sessions").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)[1:]
    others = [
        re.search(r"/account/sessions/(\d+)/end", row).group(1) for row in rows if "текущий сеанс" not in row
    ]
    assert len(rows) == 2 and len(others) == 1
    auth.post(f"/account/sessions/{others[0]}/end", page="/account/sessions")
    assert phone.get("/").status_code == 302
    assert client.get("/account/sessions").status_code == 200


def test_sign_in_takes_the_users_language(client, auth, make_user):
    user = make_user("anna")
    user.locale = "en"
    db.session.commit()
    auth.login("anna")
    assert '<html lang="en">' in client.get("/account").get_data(as_text=True)

"""Sign-ins end on the server: after SESSION_IDLE_TIMEOUT unused, or SESSION_ABSOLUTE_TIMEOUT after
the password was typed, whatever the cookie says. Activity is written at most every few minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import LoginFailure, LoginSession, UserImport
from lms.accounts.sessions import expires_at
from lms.audit.models import AuditEvent
from lms.core import formats
from lms.core.time import utcnow
from lms.extensions import db
from tests.statements import Statements

LESSON = "/courses/tiny-course/lessons/l-one"
OTHER_LESSON = "/courses/tiny-course/lessons/l-two"


def set_session(user_id: int, **values) -> None:
    db.session.execute(sa.update(LoginSession).where(LoginSession.user_id == user_id).values(**values))
    db.session.commit()


def the_session(user_id: int) -> LoginSession:
    db.session.rollback()
    return db.session.scalar(sa.select(LoginSession).where(LoginSession.user_id == user_id))


@pytest.mark.parametrize("path", ["/", LESSON], ids=["page", "lesson page"])
@pytest.mark.parametrize(
    ("created_days", "seen_days", "signed_in"),
    [
        (400, 0, False),  # a row from last year: the absolute limit
        (31, 0, False),
        (29, 0, True),
        (20, 15, False),  # the idle limit
        (20, 13, True),
    ],
)
def test_old_sessions_no_longer_sign_in(
    client, auth, imported, make_user, path, created_days, seen_days, signed_in
):
    anna = make_user("anna")
    auth.login("anna")
    now = utcnow()
    set_session(
        anna.id, created_at=now - timedelta(days=created_days), last_seen_at=now - timedelta(days=seen_days)
    )
    response = client.get(path)
    if signed_in:
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_stale_session_is_touched_once_and_a_fresh_one_not_at_all(client, auth, imported, make_user):
    anna = make_user("anna")
    auth.login("anna")
    ten_minutes_ago = utcnow() - timedelta(minutes=10)
    set_session(anna.id, last_seen_at=ten_minutes_ago)
    with Statements("UPDATE login_sessions") as touches:
        assert client.get("/").status_code == 200
    assert len(touches.sql) == 1
    seen = the_session(anna.id).last_seen_at
    assert utcnow() - seen < timedelta(minutes=1)
    with Statements("UPDATE login_sessions") as touches:
        for path in ("/", "/account", LESSON, OTHER_LESSON, LESSON):
            assert client.get(path).status_code == 200
    assert touches.sql == []
    assert the_session(anna.id).last_seen_at == seen


def test_a_repeat_lesson_view_with_a_stale_session_adds_only_the_touch(client, auth, imported, make_user):
    """The lesson page reads the session in its one statement; staleness costs one UPDATE more."""
    anna = make_user("anna")
    auth.login("anna")
    client.get(LESSON)
    client.get(OTHER_LESSON)
    set_session(anna.id, last_seen_at=utcnow() - timedelta(minutes=6))
    with Statements() as statements:
        assert client.get(LESSON).status_code == 200
    updates = [sql for sql in statements.sql if sql.startswith("UPDATE")]
    assert statements.verbs.count("SELECT") == 1
    assert len(updates) == 2 and updates[1].startswith("UPDATE login_sessions"), statements.sql
    assert utcnow() - the_session(anna.id).last_seen_at < timedelta(minutes=1)


def test_a_page_not_found_still_counts_as_activity(app, client, auth, make_user):
    anna = make_user("anna")
    auth.login("anna")
    set_session(anna.id, last_seen_at=utcnow() - timedelta(minutes=10))
    with Statements("UPDATE login_sessions") as touches:
        assert client.get("/no-such-page").status_code == 404
    assert len(touches.sql) == 1


def test_the_sessions_page_shows_when_each_session_expires(app, client, auth, make_user):
    anna = make_user("anna")
    auth.login("anna")
    now = utcnow()
    set_session(anna.id, created_at=now - timedelta(days=25), last_seen_at=now - timedelta(minutes=1))
    login_session = the_session(anna.id)
    expected = login_session.created_at + app.config["SESSION_ABSOLUTE_TIMEOUT"]  # before the idle limit
    assert expires_at(login_session) == expected
    html = client.get("/account/sessions").get_data(as_text=True)
    assert '<th scope="col">Истекает</th>' in html
    with app.test_request_context():
        assert f"<td>{formats.datetime(expected)}</td>" in html
    set_session(anna.id, created_at=now - timedelta(days=2), last_seen_at=now - timedelta(days=1))
    login_session = the_session(anna.id)
    assert expires_at(login_session) == login_session.last_seen_at + app.config["SESSION_IDLE_TIMEOUT"]


def test_expired_sessions_are_not_listed(client, auth, make_user):
    anna = make_user("anna")
    auth.login("anna")
    db.session.add(
        LoginSession(token_hash="x" * 64, user_id=anna.id, created_at=utcnow() - timedelta(days=40))
    )
    db.session.commit()
    html = client.get("/account/sessions").get_data(as_text=True)
    assert html.count("Завершить этот сеанс") == 1


def test_cleanup_deletes_what_has_served_its_time(app, runner, make_user):
    anna = make_user("anna")
    now = utcnow()
    days = timedelta(days=1)
    retention = app.config["SESSION_RETENTION_DAYS"] * days
    idle, absolute = app.config["SESSION_IDLE_TIMEOUT"], app.config["SESSION_ABSOLUTE_TIMEOUT"]
    sessions = {
        "live": {},
        "revoked recently": {"revoked_at": now - 2 * days},
        "revoked long ago": {"revoked_at": now - retention - days},
        "idle recently": {"last_seen_at": now - idle - days},
        "idle long ago": {"last_seen_at": now - idle - retention - days},
        "too old recently": {"created_at": now - absolute - days},
        "too old long ago": {"created_at": now - absolute - retention - days},
    }
    for name, values in sessions.items():
        values = {"created_at": now - 2 * days, "last_seen_at": now - days, **values}
        db.session.add(
            LoginSession(token_hash=name.ljust(64, "-"), user_id=anna.id, user_agent=name, **values)
        )
    window = app.config["LOGIN_FAILURE_WINDOW"]
    db.session.add_all(
        [
            LoginFailure(username="anna", address="198.51.100.1", at=now - window - timedelta(minutes=1)),
            LoginFailure(username="anna", address="198.51.100.1", at=now - timedelta(minutes=1)),
        ]
    )
    keep_days = app.config["AUDIT_RETENTION_DAYS"]
    db.session.add_all(
        [
            AuditEvent(action="auth.login", at=now - (keep_days + 1) * days, details={}),
            AuditEvent(action="auth.login", at=now - (keep_days - 1) * days, details={}),
        ]
    )
    stale_days = app.config["UNCONFIRMED_IMPORT_DAYS"] + 1
    db.session.add_all(
        [
            UserImport(filename="old.csv", content=b"x", created_at=now - stale_days * days),
            UserImport(filename="new.csv", content=b"y", created_at=now - days),
        ]
    )
    db.session.commit()
    result = runner.invoke(args=["lms", "cleanup"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Удалено завершённых сеансов: 3.",
        "Удалено старых попыток входа: 1.",
        "Удалено записей журнала действий: 1.",
        "Удалено неподтверждённых импортов: 1.",
    ]
    imports = db.session.execute(sa.select(UserImport.filename, UserImport.status, UserImport.content)).all()
    assert sorted(imports) == [("new.csv", "previewed", b"y"), ("old.csv", "discarded", b"")]
    db.session.rollback()
    left = set(db.session.scalars(sa.select(LoginSession.user_agent)))
    assert left == {"live", "revoked recently", "idle recently", "too old recently"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 1
    kept = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.at)).all()
    # the recent one, anna's creation just now, and the prune itself
    assert kept == ["auth.login", "user.create", "audit.prune"]

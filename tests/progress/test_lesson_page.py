"""The lesson page checks the session in its own statement and runs without transactions.

It does what `login_required` does for other pages, so the same refusals are tried here; and its
statements commit one by one, so the connection it used must go back to the pool transactional.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import LoginSession, User
from lms.accounts.services import deactivate_user
from lms.extensions import db
from lms.progress.models import Enrolment
from tests.statements import Statements

LESSON = "/courses/tiny-course/lessons/l-one"
OTHER_LESSON = "/courses/tiny-course/lessons/l-three"


def test_anonymous_readers_go_to_login_and_come_back(client, imported):
    response = client.get(LESSON)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "l-one" in response.headers["Location"]


def test_a_signed_out_session_cookie_opens_nothing(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    assert client.get(LESSON).status_code == 200
    revoke = sa.update(LoginSession).where(LoginSession.user_id == user.id).values(revoked_at=sa.func.now())
    db.session.execute(revoke)
    db.session.commit()
    assert client.get(LESSON).status_code == 302


def test_a_deactivated_candidate_is_refused_at_once(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    client.get(LESSON)
    db.session.rollback()
    user = db.session.get(User, user.id)
    user.is_active_account = False  # a deactivation that somehow left the session alive
    db.session.commit()
    assert client.get(LESSON).status_code == 302
    user.is_active_account = True
    deactivate_user(user)
    db.session.commit()
    assert client.get(LESSON).status_code == 302


def test_a_session_with_a_user_id_that_is_no_token_is_anonymous(client, imported, make_user):
    """A cookie signed by this server but from another scheme (an old numeric user id)."""
    user = make_user("anna")
    with client.session_transaction() as session:
        session["_user_id"] = user.id
    response = client.get(LESSON)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_unknown_lessons_and_courses_are_404_for_a_signed_in_reader(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get("/courses/tiny-course/lessons/no-such").status_code == 404
    assert client.get("/courses/no-such/lessons/l-one").status_code == 404
    assert client.get("/courses/tiny-course/lessons/m-one").status_code == 404  # a module's key


def test_the_page_shows_its_reader_and_their_own_progress(client, auth, imported, make_user):
    make_user("anna", full_name="Анна Петрова")
    make_user("boris", full_name="Борис Орлов")
    auth.login("anna")
    client.get("/courses/tiny-course/lessons/l-two")  # completes on view: anna has 1 of 3 done
    html = client.get(LESSON).get_data(as_text=True)
    assert "Анна Петрова" in html and 'value="33"' in html
    auth.logout()
    auth.login("boris")
    html = client.get(LESSON).get_data(as_text=True)
    assert "Борис Орлов" in html and "Анна" not in html and 'value="0"' in html


def test_a_repeat_visit_sends_a_select_and_an_update_and_no_begin(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    client.get(LESSON)
    client.get(OTHER_LESSON)
    with Statements() as statements:
        assert client.get(LESSON).status_code == 200
    assert statements.verbs == ["SELECT", "UPDATE"], statements.sql


def test_the_connection_goes_back_to_the_pool_transactional(client, auth, imported, make_user):
    """After the page's autocommit statements, a rolled-back change elsewhere must vanish."""
    user_id = make_user("anna").id
    auth.login("anna")
    client.get(LESSON)
    client.get(OTHER_LESSON)
    db.session.remove()
    db.session.execute(sa.update(Enrolment).where(Enrolment.user_id == user_id).values(lessons_done=99))
    db.session.rollback()
    assert db.session.scalar(sa.select(Enrolment.lessons_done).where(Enrolment.user_id == user_id)) == 0


def test_a_first_visit_writes_in_one_transaction(client, auth, imported, make_user):
    """The rows a first visit creates are written together, between a BEGIN and its COMMIT."""
    make_user("anna")
    auth.login("anna")
    with Statements() as statements:
        assert client.get(LESSON).status_code == 200
    writes = [index for index, verb in enumerate(statements.verbs) if verb in ("INSERT", "UPDATE")]
    if db.engine.dialect.name == "sqlite":
        begins = [index for index, sql in enumerate(statements.sql) if sql.upper() == "BEGIN IMMEDIATE"]
        assert len(begins) == 1 and begins[0] < writes[0], statements.sql
    assert writes

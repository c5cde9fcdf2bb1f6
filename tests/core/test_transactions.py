"""One commit per request, made in one place (lms.core.transactions): a request that writes
commits as it ends when its answer is not an error, and rolls back when it is; pages that only
read commit nothing they could have written (their transaction cannot write: READ ONLY on
PostgreSQL, where it ends with a COMMIT that keeps psycopg's prepared statements; `query_only` on
SQLite). Real pages are counted with SQLAlchemy's engine events; a few probe views, registered on
the test app only, write and then answer each way a view can."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, flash, redirect, request
from sqlalchemy import event
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.core.sqlite import writes
from lms.core.transactions import keep_writes, start_writing
from lms.exercises.models import Attachment, Playthrough, Submission
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.quizzes.models import Attempt
from tests.exercises.files import pdf
from tests.statements import Statements
from tests.teaching import teach

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
QUIZ = "/courses/quiz-course/quizzes/q-all"
SCENARIO = "/courses/ex-course/scenarios/sc-door"
ASSIGNMENT = "/courses/ex-course/assignments/as-plan"

pytestmark = pytest.mark.own_app  # every test here adds a probe blueprint to its app


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """The tiny, quiz and exercises fixture courses side by side: every kind of item."""
    target = tmp_path / "courses"
    target.mkdir()
    for fixture in ("good", "quiz", "exercises"):
        for course in (FIXTURES / fixture).iterdir():
            shutil.copytree(course, target / course.name)
    return target


def _probe_blueprint() -> Blueprint:
    """Views that write one audit row named after the view, then answer in one way each."""
    probe = Blueprint("probe", __name__, url_prefix="/_probe")

    @probe.route("/redirect", methods=["POST"])
    def redirects():
        record("probe.redirect")
        flash("Probe saved.")
        return redirect("/login")

    @probe.route("/refuse", methods=["POST"])
    def refuses():
        record("probe.refuse")
        return "refused", 400

    @probe.route("/raise", methods=["POST"])
    def raises():
        record("probe.raise")
        db.session.flush()
        raise RuntimeError("a bug after the write")

    @probe.route("/conflict", methods=["POST"])
    def conflicts():
        record("probe.conflict")
        keep_writes()
        return "kept", 409

    @probe.route("/page")
    def page():
        record("probe.page")  # a page that writes by mistake: its transaction refuses the write
        db.session.flush()
        return "page"

    @probe.route("/read")
    def read():
        return str(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))

    @probe.route("/late")
    def late():
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))  # reads first
        start_writing()
        record("probe.late")  # then writes, as a page recording a download does
        return "late"

    @probe.route("/prepared")
    def prepared():
        """Runs one statement, then says whether this connection holds it prepared on the server.
        With ?end=rollback the page ends its transaction with a ROLLBACK, as pages used to."""
        db.session.execute(sa.text("SELECT 1 AS probe_marker"))
        held = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_prepared_statements "
                "WHERE strpos(statement, 'AS probe_' || 'marker') > 0"
            )
        )
        if request.args.get("end") == "rollback":
            db.session.rollback()
        return str(held)

    @writes()
    @probe.route("/tracked")
    def tracked():
        record("probe.tracked")  # a page declared to write, as one recording a visit
        db.session.flush()
        return "tracked"

    @probe.route("/broken", methods=["POST"])
    def broken():
        record("probe.broken")
        db.session.add(AuditEvent(action="probe.orphan", actor_id=999_999))  # no such user: the commit fails
        flash("Probe saved.")
        return redirect("/login")

    return probe


@pytest.fixture
def app(app, tmp_path) -> Flask:
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    app.register_blueprint(_probe_blueprint())
    return app


class Commits:
    """Counts COMMITs sent on the app's engine while the block runs, but for those ending a page's
    transaction (READ ONLY on PostgreSQL, `query_only` on SQLite), which cannot have written."""

    def __enter__(self) -> Commits:
        self.count = 0
        event.listen(db.engine, "commit", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(db.engine, "commit", self._count)

    def _count(self, connection) -> None:
        if connection.dialect.name == "postgresql" and connection.connection.dbapi_connection.read_only:
            return
        if connection.dialect.name == "sqlite" and connection.connection.info.get("query_only"):
            return
        self.count += 1


def once(request, *args, **kwargs):
    """Send a request and check it committed exactly once."""
    with Commits() as commits:
        response = request(*args, **kwargs)
    assert commits.count == 1, (args, response.status_code, commits.count)
    return response


def never(request, *args, **kwargs):
    with Commits() as commits:
        response = request(*args, **kwargs)
    assert commits.count == 0, (args, response.status_code, commits.count)
    return response


def probe_actions() -> list[str]:
    db.session.rollback()  # a fresh snapshot: requests wrote in their own sessions
    return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("probe.%"))))


def test_a_candidate_s_writes_commit_once_per_request(client, auth, imported, make_user):
    """Each page or form that writes commits once; the quiz pages used to commit up to twice."""
    make_user("anna")
    auth.login("anna")
    token = auth.csrf("/")

    assert once(client.post, "/courses/tiny-course/start", data={"csrf_token": token}).status_code == 302
    response = once(client.post, "/courses/tiny-course/lessons/l-two/complete", data={"csrf_token": token})
    assert response.status_code == 302

    assert once(client.get, QUIZ).status_code == 200  # records the visit (and would close an expired attempt)
    response = once(client.post, QUIZ + "/start", data={"csrf_token": token})
    attempt_id = int(re.search(r"/quiz-attempts/(\d+)$", response.headers["Location"]).group(1))
    # The attempt and its result only read (unless a deadline passed: tests/quizzes/test_pages.py).
    assert never(client.get, f"/quiz-attempts/{attempt_id}").status_code == 200
    response = once(client.post, f"/quiz-attempts/{attempt_id}/save", data={"csrf_token": token})
    assert response.status_code == 302
    response = once(client.post, f"/quiz-attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert response.headers["Location"] == f"/quiz-attempts/{attempt_id}/confirm"  # nothing answered
    assert once(client.get, f"/quiz-attempts/{attempt_id}/confirm").status_code == 200
    confirmed = {"csrf_token": token, "confirm": "saved"}
    response = once(client.post, f"/quiz-attempts/{attempt_id}/submit", data=confirmed)
    assert response.headers["Location"] == f"/quiz-attempts/{attempt_id}/result"
    assert never(client.get, f"/quiz-attempts/{attempt_id}/result").status_code == 200

    assert once(client.get, SCENARIO).status_code == 200
    assert once(client.post, SCENARIO + "/start", data={"csrf_token": token}).status_code == 302

    values = MultiDict({"csrf_token": token, "text": "План", "version": "", "submit": "1"})
    values.add("files", FileStorage(io.BytesIO(pdf()), filename="plan.pdf"))
    boundary, body = encode_multipart(values)
    response = once(
        client.post, ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302

    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 3
    progress_rows = db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress))
    assert progress_rows == 3  # l-two, q-all, sc-door
    assert db.session.get(Attempt, attempt_id).submitted_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Playthrough)) == 1
    assert db.session.scalar(sa.select(Submission.status)) == "submitted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1


def test_staff_writes_commit_once_and_their_pages_commit_nothing(client, auth, imported, make_user):
    make_user("ada", role="admin")
    make_user("ivan", role="instructor")
    teach("ivan")
    auth.login("ada")
    token = auth.csrf("/admin/users/new")
    data = {"csrf_token": token, "username": "vera", "role": "candidate", "region": "77", "full_name": "Вера"}
    assert once(client.post, "/admin/users/new", data=data).status_code == 302
    data = {"csrf_token": token, "name": "Весна", "region": "", "campaign": ""}
    assert once(client.post, "/dashboard/cohorts", data=data).status_code == 302
    for page in ("/admin/users", "/dashboard/cohorts", "/admin/audit/", "/review"):
        assert never(client.get, page).status_code == 200, page
    db.session.rollback()
    assert "user.create" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_a_refused_form_commits_nothing(client, auth, imported, make_user):
    make_user("ada", role="admin")
    make_user("vera")
    auth.login("ada")
    token = auth.csrf("/admin/users/new")
    data = {"csrf_token": token, "username": "vera", "role": "candidate", "region": "77", "full_name": "Вера"}
    response = never(client.post, "/admin/users/new", data=data)
    assert response.status_code == 400
    assert "Имя пользователя vera уже занято" in response.get_data(as_text=True)


def test_an_answer_that_is_not_an_error_commits_and_an_error_rolls_back(client, auth, app):
    token = auth.csrf("/login")
    assert once(client.post, "/_probe/redirect", data={"csrf_token": token}).status_code == 302
    assert never(client.post, "/_probe/refuse", data={"csrf_token": token}).status_code == 400
    with pytest.raises(RuntimeError), Commits() as commits:
        client.post("/_probe/raise", data={"csrf_token": token})
    assert commits.count == 0
    assert once(client.post, "/_probe/conflict", data={"csrf_token": token}).status_code == 409
    assert once(client.get, "/_probe/tracked").status_code == 200
    assert sorted(probe_actions()) == ["probe.conflict", "probe.redirect", "probe.tracked"]


READ_ONLY_REFUSAL = {"sqlite": "attempt to write a readonly database", "postgresql": "read-only transaction"}


def test_a_page_cannot_write_unless_it_says_so(client, app):
    """A write a page never declared fails at once (it used to be rolled back silently at the end);
    a page declared to write, or one that calls start_writing() after reading, commits."""
    with pytest.raises(sa.exc.DBAPIError) as refused, Commits() as commits:
        client.get("/_probe/page")
    assert READ_ONLY_REFUSAL[db.engine.dialect.name] in str(refused.value)
    assert commits.count == 0
    assert once(client.get, "/_probe/tracked").status_code == 200
    assert once(client.get, "/_probe/late").status_code == 200
    assert sorted(probe_actions()) == ["probe.late", "probe.tracked"]
    # Pages and writers take turns on the pool's connections: each turn sets what it may do.
    for _ in range(3):
        with pytest.raises(sa.exc.DBAPIError):
            client.get("/_probe/page")
        assert once(client.get, "/_probe/tracked").status_code == 200
    assert sorted(probe_actions()) == ["probe.late"] + ["probe.tracked"] * 4


def test_on_postgresql_pages_keep_the_statements_psycopg_prepared(client, app):
    """psycopg prepares a statement on its fifth run on a connection, and drops every prepared
    statement at a ROLLBACK. Pages end with a COMMIT, so a page's statements end up prepared."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements on the server are PostgreSQL's (psycopg)")
    rolled_back = [client.get("/_probe/prepared?end=rollback").get_data(as_text=True) for _ in range(30)]
    assert set(rolled_back) == {"0"}  # the control: never prepared when every page rolls back
    pages = [int(client.get("/_probe/prepared").get_data(as_text=True)) for _ in range(30)]
    assert pages[0] == 0
    assert all(held == 1 for held in pages[-10:]), pages


def test_a_failed_commit_is_a_server_error_and_takes_back_its_message(client, auth, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the 500 page, as in production
    token = auth.csrf("/login")
    response = client.post("/_probe/broken", data={"csrf_token": token})
    assert response.status_code == 500
    assert "Probe saved." not in client.get("/login").get_data(as_text=True)
    assert probe_actions() == []
    client.post("/_probe/redirect", data={"csrf_token": token})
    assert "Probe saved." in client.get("/login").get_data(as_text=True)  # the message a success leaves


def test_on_sqlite_a_request_that_writes_takes_the_write_lock_and_a_page_does_not(client, auth, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL locks rows as they are written")
    token = auth.csrf("/login")
    with Statements("BEGIN") as posted:
        client.post("/_probe/redirect", data={"csrf_token": token})
    with Statements("BEGIN") as read:
        client.get("/_probe/read")
    with Statements("BEGIN") as tracked:
        client.get("/_probe/tracked")
    assert posted.sql == ["BEGIN IMMEDIATE"]
    assert read.sql == ["BEGIN"]
    assert tracked.sql == ["BEGIN IMMEDIATE"]


def test_on_postgresql_no_request_leaves_a_connection_idle_in_transaction(client, auth, imported, make_user):
    """After each kind of ending, the pool's connections are idle, not idle in a transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_stat_activity is PostgreSQL's")
    make_user("anna")
    onlooker = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)  # outside the app's pool

    def pooled_states() -> list[str]:
        with onlooker.connect() as connection:
            return connection.scalars(
                sa.text(
                    "SELECT state FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()

    token = auth.csrf("/login")

    def buggy_request() -> None:
        with pytest.raises(RuntimeError):
            client.post("/_probe/raise", data={"csrf_token": token})

    def refused_page() -> None:
        with pytest.raises(sa.exc.DBAPIError):
            client.get("/_probe/page")

    requests = [
        lambda: client.post("/_probe/redirect", data={"csrf_token": token}),
        lambda: client.post("/_probe/refuse", data={"csrf_token": token}),
        lambda: client.post("/_probe/conflict", data={"csrf_token": token}),
        refused_page,
        lambda: client.get("/_probe/tracked"),
        lambda: client.get("/_probe/late"),
        lambda: client.get("/_probe/prepared"),
        buggy_request,
        lambda: auth.login("anna"),
        lambda: client.get("/courses/tiny-course/lessons/l-one"),  # autocommit; a first visit writes
        lambda: client.get("/courses/tiny-course/lessons/l-one"),  # autocommit; one UPDATE
    ]
    try:
        for send in requests:
            send()
            states = pooled_states()
            assert states and all(state == "idle" for state in states), states
    finally:
        onlooker.dispose()

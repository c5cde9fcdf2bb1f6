"""Shared fixtures: one migrated database and one app per backend, a clean slate per test, users, auth."""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lms import create_app
from lms.extensions import db
from tests.s3 import CREDENTIALS, running_s3_server

TESTS_DIR = Path(__file__).resolve().parent
FIXTURE_COURSES = TESTS_DIR / "fixtures" / "courses"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
KEEP_TABLES = {"regions", "alembic_version"}
DEFAULT_PASSWORD = "correct-horse-battery"
_DEFAULT = object()


def _create_postgres_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A throwaway database beside the one TEST_DATABASE_URL names; dropped at the end."""
    url = sa.make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"lms_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A database migrated with the real migrations, once per backend per test session."""
    if request.param == "postgresql":
        url, drop = _create_postgres_database(os.environ["TEST_DATABASE_URL"])
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        drop = None
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(TESTS_DIR.parent / "migrations"))
        db.engine.dispose()
    yield url
    if drop:
        drop()


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """A writable copy of the tiny fixture course, so tests may edit it."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURE_COURSES / "good", target) if (
        FIXTURE_COURSES / "good"
    ).exists() else target.mkdir()
    return target


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would.

    Without this, requests reuse the test's app context: `g` and the db session would leak
    between requests and hide bugs (stale CSRF tokens, objects never reloaded).
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _new_app(database_url: str) -> Flask:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def shared_app(database_url) -> Flask:
    """One app per backend for the whole session.

    Building an app costs ~0.14 s (routing rules compiled, every template compiled on first use);
    times two thousand tests that was most of the suite. What a test may change on it is put back
    by `app`: the config, the WSGI middleware and the template fragments cached during the test.
    Tests that add routes or middleware are marked `own_app`.
    """
    return _new_app(database_url)


@contextlib.contextmanager
def _clean_slate(app: Flask, courses_dir: Path) -> Iterator[Flask]:
    pristine_config, pristine_wsgi_app = dict(app.config), app.wsgi_app
    app.config["COURSES_DIR"] = str(courses_dir)
    app.config["ASSET_DIR"] = str(courses_dir.parent / "assets")  # imports store course images here
    app.jinja_env.fragments.clear()
    app.extensions.pop("quiz_question_versions", None)  # ids start over with the emptied tables
    try:
        with app.app_context():
            yield app
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
    finally:
        app.config.clear()
        app.config.update(pristine_config)
        app.wsgi_app = pristine_wsgi_app
        app.jinja_env.fragments.clear()
        app.extensions.pop("quiz_question_versions", None)


@pytest.fixture
def app(request, database_url, courses_dir) -> Iterator[Flask]:
    """The shared app, cleaned after the test; an app of the test's own when it is marked
    `own_app` (tests that add routes: Flask refuses them once an app has served a request)."""
    own = request.node.get_closest_marker("own_app") is not None
    base = _new_app(database_url) if own else request.getfixturevalue("shared_app")
    with _clean_slate(base, courses_dir) as app:
        yield app


def _empty_tables() -> None:
    tables = [table for table in reversed(db.metadata.sorted_tables) if table.name not in KEEP_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def imported(app, courses_dir):
    """The fixture course imported into the database."""
    from lms.content.sync import sync_tree

    report = sync_tree(courses_dir)
    db.session.commit()
    return report


@pytest.fixture
def make_user(app) -> Callable:
    """Factory: make_user("anna", role="candidate", region="77") -> User (committed)."""
    from lms.accounts.services import create_user

    counter = iter(range(1, 1_000_000))

    def make(
        username: str | None = None,
        *,
        role: str = "candidate",
        region: str | object | None = _DEFAULT,
        password: str = DEFAULT_PASSWORD,
        **extra,
    ):
        username = username or f"user{next(counter)}"
        if region is _DEFAULT:  # candidates need a region; staff default to national
            region = "77" if role == "candidate" else None
        user = create_user(username, password, role, region_code=region, **extra)
        db.session.commit()
        return user

    return make


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no csrf_token field"
    return match.group(1)


class AuthActions:
    """Log in and out through the real login form, CSRF token included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def login(self, username: str, password: str = DEFAULT_PASSWORD, next: str = "", follow: bool = False):
        token = self.csrf("/login")
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token, "next": next},
            follow_redirects=follow,
        )

    def logout(self):
        token = self.csrf("/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, page: str = "/", **kwargs):
        """POST a form the way a browser does: with the token from a page the user has open."""
        payload = {"csrf_token": self.csrf(page), **(data or {})}
        return self.client.post(path, data=payload, **kwargs)


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 for this session, with the credentials it accepts."""
    with running_s3_server() as server:
        if isinstance(server, str):
            pytest.skip(server)
        saved = {name: os.environ.get(name) for name in CREDENTIALS}
        os.environ.update(CREDENTIALS)
        try:
            yield server
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, app, tmp_path) -> str:
    """The app's files in a folder of this test, or in a bucket of this test on the S3 server."""
    if request.param == "s3":
        import boto3

        server = request.getfixturevalue("s3_server")
        bucket = f"lms-test-{secrets.token_hex(4)}"
        boto3.client("s3", endpoint_url=server.endpoint_url).create_bucket(Bucket=bucket)
        app.config.update(STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=server.endpoint_url)
    else:
        app.config.update(STORAGE="local", UPLOAD_DIR=str(tmp_path / "uploads"))
    return request.param

"""Two (or three) real app nodes: gunicorn processes on 127.0.0.1 sharing one PostgreSQL database
(directly, or through a transaction-pooling PgBouncer) and one S3 endpoint, as in production.

Runs only when TEST_DATABASE_URL names a PostgreSQL server (SQLite is one file on one machine);
the PgBouncer variant skips, saying why, where PgBouncer cannot start.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from lms import create_app
from lms.extensions import db
from tests.conftest import DEFAULT_PASSWORD, _create_postgres_database
from tests.pgbouncer import running_pgbouncer
from tests.s3 import CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "courses"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Node:
    """One gunicorn process serving `app:app` with the shared environment."""

    name: str
    env: dict[str, str]
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # nosec B603  # our own gunicorn, fixed arguments
            [
                str(GUNICORN),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--graceful-timeout",
                "2",
                "app:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: kill() takes the workers too
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(self.url + "/login", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"node {self.name} did not start")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the master and its workers: no graceful shutdown, as when a machine dies."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Cluster:
    database_url: str  # what the test process uses (always the server itself)
    node_database_url: str  # what the nodes use (the server, or PgBouncer in front of it)
    courses_dir: Path
    env: dict[str, str]
    a: Node
    b: Node
    nodes: list[Node]

    def node(self, name: str, **extra: str) -> Node:
        """Another node with the same settings (started by the caller; stopped at teardown)."""
        node = Node(name, {**self.env, **extra})
        self.nodes.append(node)
        return node

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """A `flask` command run with node A's environment, as cron or an operator would on A."""
        return subprocess.run(  # nosec B603  # our own interpreter, fixed arguments
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env={**self.a.env, "FLASK_APP": "app.py"},
            capture_output=True,
            text=True,
            timeout=120,
        )


def _migrated(url: str) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="module", params=["postgresql", "pgbouncer"])
def cluster(request, tmp_path_factory) -> Iterator[Cluster]:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("several nodes need PostgreSQL (TEST_DATABASE_URL)")
    s3_server = request.getfixturevalue("s3_server")
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed in {GUNICORN.parent}")
    url, drop = _create_postgres_database(os.environ["TEST_DATABASE_URL"])
    try:
        _migrated(url)
        with running_pgbouncer(url) if request.param == "pgbouncer" else nullcontext(url) as node_url:
            if "://" not in node_url:  # the reason PgBouncer could not start
                pytest.skip(node_url)
            yield from _cluster(url, node_url, request.param == "pgbouncer", tmp_path_factory, s3_server)
    finally:
        drop()


def _cluster(url: str, node_url: str, pgbouncer: bool, tmp_path_factory, s3_server) -> Iterator[Cluster]:
    import boto3

    bucket = f"lms-cluster-{secrets.token_hex(4)}"
    boto3.client("s3", endpoint_url=s3_server.endpoint_url).create_bucket(Bucket=bucket)
    courses = tmp_path_factory.mktemp("cluster") / "courses"
    shutil.copytree(FIXTURES / "exercises", courses)
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", courses / "quiz-course")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WERKZEUG_"))},
        **CREDENTIALS,
        "DATABASE_URL": node_url,
        "DATABASE_PGBOUNCER": "1" if pgbouncer else "0",
        "SECRET_KEY": secrets.token_hex(32),
        "STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        "COURSES_DIR": str(courses),
        "SEMINARS_DIR": "",  # the school's seminars link the school's courses, not these fixtures
        "PUBLIC_URL": "http://127.0.0.1",
    }
    # Node B has no courses folder at all: it serves everything from the database and the store.
    a = Node("A", dict(env))
    b = Node("B", {**env, "COURSES_DIR": str(courses.parent / "absent")})
    cluster = Cluster(url, node_url, courses, env, a, b, [a, b])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from lms.accounts.services import create_user

        create_user("anna", DEFAULT_PASSWORD, "candidate", region_code="77")
        create_user("boris", DEFAULT_PASSWORD, "candidate", region_code="77")
        create_user("vera", DEFAULT_PASSWORD, "instructor", region_code=None)
        db.session.commit()
        db.engine.dispose()
    imported = cluster.flask("lms", "import")
    assert imported.returncode == 0, imported.stderr
    try:
        a.start()
        b.start()
        yield cluster
    finally:
        for node in cluster.nodes:
            node.stop()


@pytest.fixture
def db_app(cluster):
    """An app of the test process on the cluster's database (straight to the server), to look."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": cluster.database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Browser:
    """A person's browser: one cookie jar, used against whichever node the balancer picks."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def csrf(self, url: str) -> str:
        page = self.http.get(url, timeout=30)
        match = CSRF_RE.search(page.text)
        assert match, f"{url} has no form ({page.status_code})"
        return match.group(1)

    def login(self, node: Node, username: str, password: str = DEFAULT_PASSWORD) -> requests.Response:
        token = self.csrf(node.url + "/login")
        return self.http.post(
            node.url + "/login",
            data={"username": username, "password": password, "csrf_token": token, "next": ""},
            allow_redirects=False,
            timeout=30,
        )

    def post(self, node: Node, path: str, data: dict | None = None, page: str = "/", **kwargs):
        token = self.csrf(node.url + page)
        return self.http.post(
            node.url + path,
            data={"csrf_token": token, **(data or {})},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )

    def get(self, node: Node, path: str, **kwargs) -> requests.Response:
        return self.http.get(node.url + path, allow_redirects=False, timeout=30, **kwargs)


@pytest.fixture
def browser() -> Browser:
    return Browser()

"""What HTTP benchmarks share: a throwaway database, gunicorn on 127.0.0.1, a cookie-keeping client.

Everything here cleans up after itself: the server is stopped and the PostgreSQL database dropped
even when the benchmark fails half-way.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
HOST = "127.0.0.1"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@contextmanager
def throwaway_database(kind: str, folder: Path, postgres_url: str | None = None) -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file in `folder` or `lms_bench_<pid>` on PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    import sqlalchemy as sa

    admin_url = sa.make_url(postgres_url or os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL)
    admin_url = admin_url.set(drivername="postgresql+psycopg")
    if admin_url.host not in (HOST, "localhost"):
        raise ValueError(f"benchmarks only run against a local server, not {admin_url.host!r}")
    name = f"lms_bench_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class ServerURL(str):
    """A server's base URL that also knows the server's process id (gunicorn's master)."""

    pid: int

    def __new__(cls, url: str, pid: int) -> ServerURL:
        value = super().__new__(cls, url)
        value.pid = pid
        return value


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent` (gunicorn's workers, for its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (e.g. every PostgreSQL server process)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                found.append(int(comm.parent.name))
        except OSError:
            continue
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int = 2,
    threads: int = 1,
    log: Path | None = None,
    timeout: float = 30,
    app: str = "app:app",
    cwd: Path = PROJECT_ROOT,
    ready_path: str = "/login",
) -> Iterator[ServerURL]:
    """Run `gunicorn app:app` on a free local port until the block ends; yields its base URL.

    `threads` above 1 selects the gthread worker class; 1 keeps gunicorn's default sync workers.
    Another application (`app` importable from `cwd`) is up once `ready_path` answers 200.
    """
    port = free_port()
    command = [str(GUNICORN), "-w", str(workers), "-b", f"{HOST}:{port}"]
    if threads > 1:
        command += ["-k", "gthread", "--threads", str(threads)]
    command += ["--log-level", "warning", app]
    output = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
    )
    try:
        try:
            _wait_until_up(port, process, timeout, ready_path)
        except RuntimeError as error:
            tail = log.read_text(encoding="utf-8", errors="replace")[-4000:] if log else ""
            raise RuntimeError(f"{error}\n{tail}") from None
        yield ServerURL(f"http://{HOST}:{port}", process.pid)
    finally:
        _stop(process)
        if log:
            output.close()


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float, path: str = "/login") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM lets the master stop its workers; SIGKILL only if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Client:
    """One browser: its own cookies, a fresh connection per request, redirects not followed."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        if parts.hostname != HOST:
            raise ValueError("benchmarks only talk to 127.0.0.1")
        self.port = parts.port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        """Send one request; returns (status, Location header, body)."""
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = self._cookie_header()
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["expires"] and morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def prepared_post(self, path: str, fields: list[tuple[str, str]]) -> bytes:
        """A form POST as the bytes a browser sends, built ahead, so that sending it costs the load
        generator a connect, a write and a read (bench/quiz_submit.py's event loop)."""
        body = urlencode(fields).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {HOST}:{self.port}",
            "Connection: close",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
        ]
        if self.cookies:
            head.append(f"Cookie: {self._cookie_header()}")
        return "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body

    def read_reply(self, reply: bytes) -> tuple[int, str]:
        """A whole raw response to a prepared request: keeps its cookies; (status, Location)."""
        head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = [line.split(":", 1) for line in head[1:] if ":" in line]
        self._keep_cookies([value.strip() for name, value in headers if name.lower() == "set-cookie"])
        location = next((value.strip() for name, value in headers if name.lower() == "location"), "")
        return status, location

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str, str]:
        return self.request("POST", path, fields)

    def csrf(self, path: str) -> str:
        """The CSRF token from the hidden input of a page, as a browser would submit it."""
        status, _, html = self.get(path)
        match = CSRF_RE.search(html)
        if status != 200 or match is None:
            raise RuntimeError(f"GET {path} gave {status} without a csrf_token field")
        return match.group(1)

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/login")
        status, _, _ = self.post(
            "/login", [("username", username), ("password", password), ("csrf_token", token)]
        )
        if status != 302 or "session" not in self.cookies:
            raise RuntimeError(f"login of {username} answered {status}")

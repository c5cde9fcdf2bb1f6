"""The worker as a real process: killed between its claim and the send, and stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lms.core.time import utcnow
from tests.mail.conftest import reload, wait_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def worker_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of `flask lms send-mail` run by hand: plain Config, read from env vars."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "FLASK_", "TEST_DATABASE")) and key != "DATABASE_URL"
    }
    env.update(
        FLASK_APP="app.py",
        DATABASE_URL=database_url,
        SECRET_KEY="worker-test-secret",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        MAIL_SECURITY="none",
        **extra,
    )
    return env


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "lms", "send-mail", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def silent_server() -> Iterator[socket.socket]:
    """A TCP listener that takes connections and never says a word (no SMTP greeting)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(60)
        yield listener


def test_a_worker_killed_after_its_claim_loses_nothing_and_sends_once(
    runner, smtp, invite, database_url, silent_server
):
    queued = invite()
    env = worker_env(database_url, silent_server.getsockname()[1], MAIL_CLAIM_TIMEOUT_SECONDS="1")
    with start_worker(env) as worker:
        # The worker connects only after committing its claim; it then waits for a greeting.
        connection, _address = silent_server.accept()
        with connection:
            claimed = reload(queued.id)
            assert claimed.status == "sending" and claimed.claim_token is not None
            worker.kill()
            output, _ = worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL, output
    assert smtp.envelopes == []

    # The claim outlives the worker until it lapses; then the next run sends the message.
    lapse = (reload(queued.id).claimed_until - utcnow()).total_seconds()
    time.sleep(max(lapse, 0) + 0.05)
    result = runner.invoke(args=["lms", "send-mail"])
    assert result.exit_code == 0, result.output
    assert smtp.message_ids() == [queued.message_id]
    row = reload(queued.id)
    assert (row.status, row.claim_token) == ("sent", None)


def test_the_long_running_worker_sends_and_stops_cleanly_on_sigterm(smtp, invite, database_url, app):
    env = worker_env(database_url, app.config["MAIL_PORT"])
    with start_worker(env, "--loop", "--interval", "0.2") as worker:
        first = invite()
        wait_for(lambda: reload(first.id).status == "sent", what="the first message to go out")
        second = invite()  # queued while the worker runs: the next look at the outbox sends it
        wait_for(lambda: reload(second.id).status == "sent", what="the second message to go out")
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert sorted(smtp.message_ids()) == sorted([first.message_id, second.message_id])
    assert output.strip().splitlines()[-1] == (
        "Остановлено. Отправлено: 2, не доставлено: 0, повторная попытка позже: 0."
    )

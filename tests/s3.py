"""A real S3 API on 127.0.0.1 for the tests: moto's server in a process of its own.

Started once per test session (per worker); tests that need it skip, saying why, only when it
cannot start (moto not installed, no free port).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "lms-test",
    "AWS_SECRET_ACCESS_KEY": "lms-test-secret",  # nosec B105  # moto accepts any key
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_s3_server() -> Iterator[S3Server | str]:
    """Yields the server, or the reason it could not start."""
    try:
        import moto.server  # noqa: F401  # only to know whether it is installed
    except ImportError as error:
        yield f"moto[server] is not installed ({error})"
        return
    port = _free_port()
    process = subprocess.Popen(  # nosec B603  # our own interpreter, fixed arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **CREDENTIALS},
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                yield f"moto server did not start on 127.0.0.1:{port}"
                return
            time.sleep(0.1)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

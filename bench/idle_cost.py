"""What an idle gap costs a gunicorn worker: CPU per request back to back, 2 ms apart and 20 ms apart.

bench/quiz_submit.py's paced round sends a submit every 20 ms, so each reaches a worker that sat
idle. This measures that gap alone, with no quiz and no database: a bare WSGI callable, a bare
Flask view and the LMS's own `/healthz`, each under gunicorn (2 sync workers, as deployed), each
sent N sequential GETs per gap, in interleaved rounds. The workers' CPU (user + system, from /proc)
divided by N is the cost per request; the ratio of the 20 ms figure to the back-to-back one is
what the machine adds to a request that finds its worker idle.

    .venv/bin/python bench/idle_cost.py             # prints and writes docs/benchmarks.md
    .venv/bin/python bench/idle_cost.py --no-write
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import write_section
from bench._server import HOST, PROJECT_ROOT, child_pids, cpu_seconds, gunicorn

GAPS = [("back to back", 0.0), ("2 ms apart", 0.002), ("20 ms apart", 0.020)]
BARE_WSGI = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""
BARE_FLASK = """
import gc

from flask import Flask

app = Flask(__name__)


@app.route("/healthz")
def healthz():
    return "ok"


gc.freeze()
"""


def get(port: int) -> None:
    """One GET /healthz on a fresh connection, read to the server's close."""
    with socket.create_connection((HOST, port)) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        while connection.recv(65536):
            pass


def cost_per_request(port: int, workers: list[int], requests: int, gap: float) -> float:
    """Workers' CPU ms per request for `requests` sequential GETs, `gap` seconds apart."""
    before = cpu_seconds(workers)
    for _ in range(requests):
        get(port)
        if gap:
            time.sleep(gap)
    return 1000 * (cpu_seconds(workers) - before) / requests


def measure(env: dict[str, str], app: str, cwd: Path, requests: int, rounds: int) -> list[float]:
    """Median CPU ms per request for each gap in GAPS, the gaps interleaved round by round."""
    with gunicorn(env, workers=2, app=app, cwd=cwd, ready_path="/healthz") as url:
        port = int(url.rsplit(":", 1)[1])
        workers = child_pids(url.pid)
        for _ in range(100):  # warm both workers
            get(port)
        samples: list[list[float]] = [[] for _ in GAPS]
        for _ in range(rounds):
            for index, (_, gap) in enumerate(GAPS):
                samples[index].append(cost_per_request(port, workers, requests, gap))
    return [statistics.median(values) for values in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=600, help="GETs per gap and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md")
    options = parser.parse_args()

    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bare_wsgi.py").write_text(BARE_WSGI, encoding="utf-8")
        (folder / "bare_flask.py").write_text(BARE_FLASK, encoding="utf-8")
        lms_env = {"DATABASE_URL": f"sqlite:///{folder / 'lms.db'}", "SECRET_KEY": os.urandom(16).hex()}
        servers = [
            ("a bare WSGI callable", {}, "bare_wsgi:app", folder),
            ("a bare Flask view", {}, "bare_flask:app", folder),
            ("the LMS's `/healthz`", lms_env, "app:app", PROJECT_ROOT),
        ]
        for label, env, app, cwd in servers:
            costs = measure(env, app, cwd, options.requests, options.rounds)
            rows.append((label, costs))
            figures = (f"{name} {cost:.2f} ms" for (name, _), cost in zip(GAPS, costs, strict=True))
            print(f"  {label:24} " + "  ".join(figures))

    header = "| served | " + " | ".join(name for name, _ in GAPS) + " | 20 ms ÷ back to back |"
    lines = [header, "|---|" + "---|" * (len(GAPS) + 1)]
    for label, costs in rows:
        ratio = costs[-1] / costs[0] if costs[0] else float("nan")
        lines.append(f"| {label} | " + " | ".join(f"{cost:.2f} ms" for cost in costs) + f" | {ratio:.1f}× |")
    body = (
        "Workers' CPU per request (user + system, /proc) under gunicorn with 2 sync workers, "
        f"{options.requests} sequential GETs per gap and round, median of {options.rounds} interleaved "
        f"rounds; {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"1-minute load average {load:.1f} at the start. The paced round of the quiz-submit benchmark "
        "sends a request every 20 ms: what the last column adds to a bare callable, the machine adds "
        "to every paced request, before any code of ours runs.\n\n" + "\n".join(lines) + "\n"
    )
    print("\n" + "\n".join(lines))
    if not options.no_write:
        write_section("Idle workers (bench/idle_cost.py)", body)


if __name__ == "__main__":
    main()

"""Lesson page throughput: a signed-in candidate's lesson page against a bare Flask "hello world".

Both apps run the same way in the same run (gunicorn, 2 sync workers, 127.0.0.1) and get the same
load: 8 client threads, each holding its own http.client connection (kept alive when the server
allows it), for 10 s after a 2 s warm-up; only 200 responses count. Prints requests per second
and the ratio lesson page / hello world (target ≥ 0.35). The data set comes from bench/generate.py
(2,000 candidates by default) on SQLite and on PostgreSQL; each thread is a different candidate
reading the lessons of the first course in turn, so every request opens a different lesson than
the one before and records it (an INSERT on the first pass, one UPDATE of the enrolment after).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import math
import os
import platform
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._profile import QueryLog, login, top_costs
from bench._report import write_section
from bench._server import (
    HOST,
    PROJECT_ROOT,
    Client,
    child_pids,
    cpu_seconds,
    gunicorn,
    pids_named,
    throwaway_database,
)
from bench.generate import COURSES, PASSWORD, populate

THREADS, SECONDS, WARMUP = 8, 10.0, 2.0
WORKERS = 2
TARGET_RATIO = 0.35
EXCEPTION_LINE = re.compile(r"^(?:\w+\.)*\w+(?:Error|Exception): .*$", re.M)
IN_PROCESS = 200  # lesson requests timed (and profiled) through the test client
# Signed-in pages that do less than a lesson page, served by the same gunicorn: the ratio's floor.
FLOOR_PAGES = {
    "signed-in, text only": "/_bench/user",
    "signed-in, empty layout": "/_bench/layout",
}
HELLO_APP = """from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""
# The LMS exactly as `gunicorn app:app` serves it, plus this bench's floor pages (signed-in pages
# doing less than a lesson page), so they run under the same server as the lesson page.
LMS_APP = f"""import sys

sys.path.insert(0, {str(PROJECT_ROOT)!r})
from app import app  # noqa: E402
from bench.lesson_page import add_floor_routes  # noqa: E402

add_floor_routes(app)
"""


@dataclass
class Load:
    label: str
    ok: int = 0
    other: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    connections: int = 0
    kept_alive: bool = False
    set_cookie: int = 0  # responses that changed the session: a sign the load is not a browser's
    cpu: dict[str, float] = field(default_factory=dict)  # CPU ms per 200 response, by process group

    @property
    def rate(self) -> float:
        return self.ok / SECONDS

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def hammer(
    base_url, label: str, paths: list[list[str]], cookies: list[str], *, database: str = "sqlite"
) -> Load:
    """One thread per entry of `paths`, each cycling through its paths until the time is up.

    Also counts the CPU time used while measuring, per 200 response: by this client (its threads),
    by gunicorn's workers and, on PostgreSQL, by the database server's processes.
    """
    port = int(base_url.rsplit(":", 1)[1])
    load = Load(label)
    lock = threading.Lock()
    start = time.perf_counter() + 0.1
    measure_from, stop = start + WARMUP, start + WARMUP + SECONDS

    def worker(index: int) -> None:
        ok, other, latencies, connections, kept, set_cookie = 0, {}, [], 0, False, 0
        headers = {"Cookie": cookies[index]} if cookies[index] else {}
        connection = None
        mine = paths[index]
        step = 0
        while (now := time.perf_counter()) < start:
            time.sleep(start - now)
        while time.perf_counter() < stop:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                connections += 1
            began = time.perf_counter()
            try:
                connection.request("GET", mine[step % len(mine)], headers=headers)
                response = connection.getresponse()
                response.read()
                status = str(response.status)
                set_cookie += response.getheader("Set-Cookie") is not None
                if response.will_close:
                    connection.close()
                    connection = None
                else:
                    kept = True
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = None
            ended = time.perf_counter()
            step += 1
            if measure_from <= began and ended <= stop:
                if status == "200":
                    ok += 1
                    latencies.append(ended - began)
                else:
                    other[status] = other.get(status, 0) + 1
        if connection is not None:
            connection.close()
        with lock:
            load.ok += ok
            load.latencies += latencies
            load.connections += connections
            load.set_cookie += set_cookie
            load.kept_alive = load.kept_alive or kept
            for status, count in other.items():
                load.other[status] = load.other.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(paths))]
    for thread in threads:
        thread.start()
    groups = {
        "client": time.process_time,
        "gunicorn workers": lambda: cpu_seconds(child_pids(base_url.pid)),
    }
    if database == "postgresql":
        groups["PostgreSQL"] = lambda: cpu_seconds(pids_named("postgres"))
    while (now := time.perf_counter()) < measure_from:
        time.sleep(measure_from - now)
    used = {name: read() for name, read in groups.items()}
    while (now := time.perf_counter()) < stop:
        time.sleep(stop - now)
    used = {name: read() - used[name] for name, read in groups.items()}
    for thread in threads:
        thread.join()
    load.cpu = {name: 1000 * seconds / load.ok for name, seconds in used.items()} if load.ok else {}
    extra = ", ".join(f"{count} × {status}" for status, count in sorted(load.other.items()))
    print(
        f"  {label:<28} {load.rate:7.0f} req/s   p50 {1000 * load.percentile(0.5):6.1f} ms  "
        f"p99 {1000 * load.percentile(0.99):6.1f} ms  {load.connections} connections"
        + (f"  not 200: {extra}" if extra else "")
        + (f"  {load.set_cookie} set a cookie" if load.set_cookie else "")
        + "\n    CPU per request: "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in load.cpu.items()),
        flush=True,
    )
    return load


def lesson_setup(url: str) -> tuple[list[str], list[str]]:
    """Eight candidates (a mix of fates) and the first course's lesson pages."""
    import sqlalchemy as sa

    from lms import create_app
    from lms.accounts.models import User
    from lms.content.models import Course, Lesson, Module
    from lms.core.roles import Role
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        try:
            course_key = COURSES[0][0]
            keys = db.session.scalars(
                sa.select(Lesson.key)
                .join(Course, Course.id == Lesson.course_id)
                .join(Module, Module.id == Lesson.module_id)
                .where(Course.key == course_key, Lesson.kind == "lesson")
                .order_by(Module.position, Lesson.position)
            ).all()
            users = db.session.scalars(
                sa.select(User.username).where(User.role == Role.CANDIDATE).order_by(User.id).limit(THREADS)
            ).all()
        finally:
            db.session.remove()
            db.engine.dispose()
    return list(users), [f"/courses/{course_key}/lessons/{key}" for key in keys]


def _ms_per_request(client, paths: list[str], count: int = IN_PROCESS) -> float:
    for path in paths:
        client.get(path).get_data()
    started = time.perf_counter()
    for index in range(count):
        client.get(paths[index % len(paths)]).get_data()
    return 1000 * (time.perf_counter() - started) / count


def add_floor_routes(app) -> None:
    """Pages that do less and less of what the lesson page does, on this bench's app only."""
    from flask import render_template
    from flask_login import current_user

    from lms.core.roles import login_required

    layout = app.jinja_env.from_string('{% extends "base.html" %}{% block content %}{% endblock %}')
    app.add_url_rule("/_bench/bare", "bench_bare", lambda: "ok")
    app.add_url_rule("/_bench/user", "bench_user", login_required(lambda: current_user.username))
    app.add_url_rule("/_bench/layout", "bench_layout", login_required(lambda: render_template(layout)))


def in_process(
    url: str, username: str, paths: list[str], *, profile: bool, label: str
) -> tuple[float, int, list[str], dict[str, float]]:
    """The lesson page through the test client: ms per request, statements per request, the
    floor under it (ms per request of pages doing less), and, when asked, cProfile's top costs."""
    from flask import Flask

    from lms import create_app
    from lms.extensions import db

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "Hello, World!")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    add_floor_routes(app)
    with app.app_context():
        engine = db.engine
    gc.freeze()  # as app.py does
    client = app.test_client()
    login(client, username, PASSWORD)
    floor = {
        "bare Flask hello world": _ms_per_request(hello.test_client(), ["/"]),
        "LMS app, route returning a string": _ms_per_request(client, ["/_bench/bare"]),
        "+ signed-in user loaded": _ms_per_request(client, ["/_bench/user"]),
        "+ page layout (base.html) rendered": _ms_per_request(client, ["/_bench/layout"]),
    }
    milliseconds = _ms_per_request(client, paths)
    floor["lesson page"] = milliseconds
    log = QueryLog(engine)
    log.active = True
    client.get(paths[0]).get_data()
    log.close()
    lines = []
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for index in range(IN_PROCESS):
            client.get(paths[index % len(paths)]).get_data()
        profiler.disable()
        lines = top_costs(profiler, IN_PROCESS, f"lesson page in-process, {label}")
    engine.dispose()
    return milliseconds, len(log.statements), lines, floor


def errors_in_log(log: Path) -> Counter[str]:
    """Unhandled exceptions gunicorn logged: the last exception line after each Flask
    "Exception on <path>" entry (the outermost of a chain), counted by message."""
    if not log.exists():
        return Counter()
    entries = re.split(r"Exception on \S+ \[\w+\]", log.read_text(encoding="utf-8", errors="replace"))[1:]
    return Counter(found[-1][:140] for entry in entries if (found := EXCEPTION_LINE.findall(entry)))


@dataclass
class Result:
    database: str
    hello: list[Load]  # before and after the lesson page
    lesson: Load
    milliseconds: float  # in-process, per lesson request
    statements: int
    profile: list[str]
    errors: Counter[str]
    floor: dict[str, float] = field(default_factory=dict)  # in-process ms of pages doing less
    floor_loads: list[Load] = field(default_factory=list)  # the same pages under gunicorn

    @property
    def hello_rate(self) -> float:
        return sum(load.rate for load in self.hello) / len(self.hello)

    @property
    def ratio(self) -> float:
        return self.lesson.rate / self.hello_rate if self.hello_rate else math.nan


def bench_database(kind: str, candidates: int, tmp: Path) -> Result:
    hello_dir = tmp / "hello"
    hello_dir.mkdir(exist_ok=True)
    (hello_dir / "app.py").write_text(HELLO_APP, encoding="utf-8")
    log = tmp / f"gunicorn-{kind}.log"

    def hello_world(label: str) -> Load:
        with gunicorn({}, workers=WORKERS, app="app:app", cwd=hello_dir, ready_path="/", log=log) as base:
            return hammer(base, label, [["/"]] * THREADS, [""] * THREADS, database=kind)

    with throwaway_database(kind, tmp) as url:
        summary = populate(url, candidates)
        progress = summary.counts["lesson_progress"]
        print(f"  data set: {summary.candidates:,} candidates, {progress:,} progress rows")
        users, lessons = lesson_setup(url)
        hello = [hello_world("hello world")]
        env = {"DATABASE_URL": url, "SECRET_KEY": os.urandom(16).hex()}
        lms_dir = tmp / "lms"
        lms_dir.mkdir(exist_ok=True)
        (lms_dir / "lms_app.py").write_text(LMS_APP, encoding="utf-8")
        with gunicorn(env, workers=WORKERS, app="lms_app:app", cwd=lms_dir, log=log) as base:
            cookies = []
            for username in users:
                client = Client(base)
                client.login(username, PASSWORD)
                # As a browser would: the first page after login adds the CSRF token to the
                # session cookie, and later requests send that cookie (the load below does not
                # take new cookies, so a stale one would re-create the token on every request).
                client.get("/")
                cookies.append("; ".join(f"{name}={value}" for name, value in client.cookies.items()))
            # Each thread starts at a different lesson, as a cohort spreads through a course.
            paths = [lessons[index * 3 :] + lessons[: index * 3] for index in range(len(users))]
            floor_loads = [
                hammer(base, label, [[path]] * THREADS, cookies, database=kind)
                for label, path in FLOOR_PAGES.items()
            ]
            lesson = hammer(base, "lesson page (candidate)", paths, cookies, database=kind)
        hello.append(hello_world("hello world, again"))
        errors = errors_in_log(log)
        for message, count in errors.most_common():
            print(f"  server log: {count} × {message}")
        result = Result(database_version(url), hello, lesson, 0.0, 0, [], errors, floor_loads=floor_loads)
        missed = not result.ratio >= TARGET_RATIO
        result.milliseconds, result.statements, result.profile, result.floor = in_process(
            url, users[0], lessons, profile=missed, label=result.database
        )
        print(
            f"  in-process (test client, no concurrency): {result.milliseconds:.1f} ms and "
            f"{result.statements} SQL statements per lesson page"
        )
        for step, ms in result.floor.items():
            print(f"    {step:<40} {ms:6.2f} ms")
        print("\n".join(result.profile))
        return result


def floor_reading(result: Result) -> str:
    """What the floor rows say about the target: a lesson page does all an empty page does, and more."""
    if not result.floor_loads:
        return ""
    best = max(result.floor_loads, key=lambda load: load.rate)
    layout = result.floor_loads[-1]
    extra = result.lesson.cpu.get("gunicorn workers", math.nan) - layout.cpu.get("gunicorn workers", math.nan)
    return (
        f"- {result.database}: the cheapest signed-in page ({best.label}) reached "
        f"{best.rate / result.hello_rate:.2f} of hello world, the empty layout "
        f"{layout.rate / result.hello_rate:.2f}; the lesson page costs the workers {extra:.2f} ms of CPU "
        "more than the empty layout.\n"
    )


def floor_table(results: list[Result]) -> str:
    """Where a lesson page's time goes: the same test client on pages that do less and less."""
    if not any(result.floor for result in results):
        return ""
    steps = list(results[0].floor)
    lines = [
        "\nWhere the time goes, in-process (ms per request through the test client, one at a time; the "
        "bare hello world is the app gunicorn serves above, the other rows are extra routes of this "
        "run's LMS app):\n",
        "| page | " + " | ".join(result.database for result in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for step in steps:
        cells = " | ".join(f"{result.floor.get(step, math.nan):.2f} ms" for result in results)
        lines.append(f"| {step} | {cells} |")
    return "\n".join(lines) + "\n"


def database_version(url: str) -> str:
    import sqlite3

    import sqlalchemy as sa

    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return f"PostgreSQL {connection.scalar(sa.text('SHOW server_version')).split()[0]}"
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--candidates", type=int, default=2000)
    options = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    began = time.perf_counter()
    results, loads = [], []
    for kind in kinds:
        loads.append(f"{os.getloadavg()[0]:.1f} before {kind}")
        print(f"{kind}:")
        with tempfile.TemporaryDirectory() as tmp:
            result = bench_database(kind, options.candidates, Path(tmp))
        results.append(result)
        print(f"  ratio {result.ratio:.2f} (target ≥ {TARGET_RATIO})")
    loads.append(f"{os.getloadavg()[0]:.1f} at the end")
    print(f"whole run {time.perf_counter() - began:.0f} s")

    lines = [
        "| database | app | req/s (200 only) | p50 | p99 | not 200 | ratio to hello world "
        "| CPU ms per request: client / gunicorn workers / PostgreSQL |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for load in (*result.hello, *result.floor_loads, result.lesson):
            other = ", ".join(f"{count} × {status}" for status, count in sorted(load.other.items())) or "0"
            ratio = "" if load in result.hello else f"{load.rate / result.hello_rate:.2f}"
            if load is result.lesson:
                met = "met" if result.ratio >= TARGET_RATIO else "MISSED"
                ratio = f"**{ratio}** (target ≥ {TARGET_RATIO}: {met})"
            cpu = " / ".join(
                f"{load.cpu[name]:.2f}" if name in load.cpu else "–"
                for name in ("client", "gunicorn workers", "PostgreSQL")
            )
            p50, p99 = (1000 * load.percentile(share) for share in (0.5, 0.99))
            lines.append(
                f"| {result.database} | {load.label} | {load.rate:.0f} | {p50:.1f} ms | {p99:.1f} ms | "
                f"{other} | {ratio} | {cpu} |"
            )
    kept = any(load.kept_alive for result in results for load in (*result.hello, result.lesson))
    floor_note = (
        "The floor rows are pages of the same LMS process that do less than a lesson page: "
        + "; ".join(f"{label} ({path})" for label, path in FLOOR_PAGES.items())
        + ": the signed-in user loaded and a string returned, or the site layout (base.html) rendered "
        "around nothing. CPU per request is what each group of processes used while measuring, "
        "divided by the 200 responses: the client threads share the 2 cores with the server (and the "
        "database server), so every millisecond the client or PostgreSQL spends is one the workers "
        "cannot.\n\n"
    )
    in_process_note = "; ".join(
        f"{result.database}: {result.milliseconds:.1f} ms, {result.statements} SQL statements"
        for result in results
    )
    body = (
        f"gunicorn with {WORKERS} sync workers on 127.0.0.1 serves, started the same way in the same run, a "
        f'bare Flask app returning "Hello, World!" (before and after the LMS; the ratio uses their mean) '
        f"and the LMS. {THREADS} client threads (one http.client connection each) send GET requests for "
        f"{SECONDS:g} s after a {WARMUP:g} s warm-up; only 200 responses count. LMS requests are a "
        "signed-in candidate's lesson page (one candidate per thread, walking through the first course's "
        "lessons in turn, so every request records the visit: rows on the first pass, then one UPDATE of "
        "the enrolment's last lesson and activity time) over a bench/generate.py data set of "
        f"{options.candidates:,} "
        "candidates. "
        + (
            "Connections were kept alive. "
            if kept
            else "Sync workers close every connection, so each request opens a new one (no keep-alive). "
        )
        + f"The client threads share the machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; 1-minute load average {', '.join(loads)}.\n\n"
        + floor_note
        + "\n".join(lines)
        + "\n\n"
        + "".join(floor_reading(result) for result in results)
        + f"\nOne lesson page in-process (test client, one at a time, {IN_PROCESS} requests): "
        + in_process_note
        + ".\n"
        + floor_table(results)
    )
    for result in results:
        if result.errors:
            body += f"\nServer errors logged by gunicorn ({result.database}):\n\n" + "".join(
                f"- {count} × `{message}`\n" for message, count in result.errors.most_common()
            )
    profiles = [line for result in results for line in result.profile]
    if profiles:
        body += "\nTarget missed; profile of the lesson page in-process (cProfile):\n\n```\n"
        body += "\n".join(profiles) + "\n```\n"
    write_section("Lesson page throughput (bench/lesson_page.py)", body)


if __name__ == "__main__":
    main()

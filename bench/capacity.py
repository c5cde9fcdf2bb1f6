"""What each kind of request costs, and how many nodes a seminar morning needs (docs/deployment.md).

For every page type a candidate or a coordinator opens, measured in-process through the test client
on a bench/generate.py data set: the app's CPU per request (process time: Python, Jinja, the
driver), SQL statements per request and their round-trip time, and on PostgreSQL the database
server's CPU per request. The capacity model then turns a seminar morning (candidates online, one
page every N seconds, a mix of pages) into cores for the app nodes and for PostgreSQL.

    .venv/bin/python bench/capacity.py                       # PostgreSQL, 10,000 candidates
    .venv/bin/python bench/capacity.py --database sqlite --candidates 2000

Process time is what one request costs a core, whatever else the machine is doing, so these figures
hold on a busy machine better than throughput does; PostgreSQL's CPU is read from its processes and
counts anything else using the server at the time (the load average is printed with the figures).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._profile import QueryLog, login
from bench._report import write_section
from bench._server import cpu_seconds, pids_named, throwaway_database
from bench.generate import COURSES, PASSWORD, coordinator_name, populate

REQUESTS = 200  # timed requests per page type, after 5 warm-ups
# A seminar morning: share of candidates online, seconds between two pages of one candidate.
SCHOOL, ONLINE, THINK_SECONDS = 100_000, 0.30, 20
# What those pages are (shares of all requests; coordinators are a few hundred people).
MIX = {
    "lesson page": 0.50,
    "home": 0.12,
    "course page": 0.10,
    "quiz page": 0.06,
    "quiz result": 0.05,
    "assignment page": 0.05,
    "quiz submit (start + submit)": 0.07,
    "coordinator: region page": 0.03,
    "coordinator: overview": 0.02,
}
# Cores are run at most this busy, so that queueing keeps p99 well under 100 ms (M/M/c with
# requests of a few ms: at 60 % the wait stays below one service time for all but ~1 % of them).
UTILISATION = 0.60
CORES_PER_NODE = 2


@dataclass
class Cost:
    page: str
    app_ms: float  # app process CPU per request
    wall_ms: float
    statements: int
    sql_ms: float  # round trips to the database, per request
    db_cpu_ms: float  # PostgreSQL server CPU per request (0 on SQLite)


def _targets(url: str) -> dict[str, object]:
    """A candidate mid-way through the first course (with a submitted attempt and a submission),
    a mid-size region's coordinator, fresh candidates for the submits, and the paths they open."""
    import sqlalchemy as sa

    from lms import create_app
    from lms.accounts.models import User
    from lms.content.models import Course, Lesson, Module
    from lms.exercises.models import Submission
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        try:
            course = db.session.scalar(sa.select(Course).where(Course.key == COURSES[0][0]))
            items = db.session.execute(
                sa.select(Lesson.key, Lesson.kind, Lesson.id)
                .join(Module, Module.id == Lesson.module_id)
                .where(Lesson.course_id == course.id)
                .order_by(Module.position, Lesson.position)
            ).all()
            lessons = [key for key, kind, _ in items if kind == "lesson"][:10]
            quiz_key, quiz_id = next((key, id_) for key, kind, id_ in items if kind == "quiz")
            assignment_key, assignment_id = next(
                (key, id_) for key, kind, id_ in items if kind == "assignment"
            )
            attempt = db.session.execute(
                sa.select(Attempt.id, Attempt.user_id)
                .join(Submission, Submission.user_id == Attempt.user_id)
                .where(
                    Attempt.quiz_id == quiz_id,
                    Attempt.submitted_at.is_not(None),
                    Submission.item_id == assignment_id,
                )
                .order_by(Attempt.id)
                .limit(1)
            ).one()
            candidate = db.session.get(User, attempt.user_id)
            region = candidate.region_code
            fresh = db.session.scalars(
                sa.select(User.username)
                .where(
                    User.role == "candidate",
                    ~User.id.in_(sa.select(Attempt.user_id).where(Attempt.quiz_id == quiz_id)),
                )
                .order_by(User.id)
                .limit(REQUESTS + 5)
            ).all()
            return {
                "candidate": candidate.username,
                "coordinator": coordinator_name(region),
                "region": region,
                "fresh": list(fresh),
                "course": course.key,
                "lessons": lessons,
                "quiz": quiz_key,
                "attempt": attempt.id,
                "assignment": assignment_key,
            }
        finally:
            db.session.remove()
            db.engine.dispose()


def _measure(page: str, client, paths: list[str], log: QueryLog, postgres: bool) -> Cost:
    for path in paths[:5]:
        _ok(client.get(path), path)
    log.reset()
    log.active = True
    cpu, wall = time.process_time(), time.perf_counter()
    server = cpu_seconds(pids_named("postgres")) if postgres else 0.0
    for index in range(REQUESTS):
        path = paths[index % len(paths)]
        _ok(client.get(path), path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    server = (cpu_seconds(pids_named("postgres")) - server) if postgres else 0.0
    log.active = False
    return Cost(
        page,
        1000 * cpu / REQUESTS,
        1000 * wall / REQUESTS,
        round(len(log.statements) / REQUESTS),
        1000 * log.seconds / REQUESTS,
        1000 * server / REQUESTS,
    )


def _ok(response, path: str) -> None:
    response.get_data()
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")


def _measure_submits(app, targets: dict, log: QueryLog, postgres: bool) -> Cost:
    """Start and submit the quiz once per fresh candidate (both POSTs with their CSRF tokens)."""
    from bench._server import CSRF_RE

    overview = f"/courses/{targets['course']}/quizzes/{targets['quiz']}"
    clients = []
    for username in targets["fresh"]:
        client = app.test_client()
        login(client, username, PASSWORD)
        token = CSRF_RE.search(client.get(overview).get_data(as_text=True)).group(1)
        clients.append((client, token))
    cpu = wall = server = 0.0
    log.reset()
    for index, (client, token) in enumerate(clients):
        timed = index >= 5
        log.active = timed
        started = (
            time.process_time(),
            time.perf_counter(),
            cpu_seconds(pids_named("postgres")) if postgres else 0,
        )
        start = client.post(overview + "/start", data={"csrf_token": token})
        attempt_path = start.headers["Location"]
        submit = client.post(attempt_path + "/submit", data={"csrf_token": token, "confirm": "1"})
        if (
            start.status_code != 302
            or submit.status_code != 302
            or "/result" not in submit.headers["Location"]
        ):
            raise RuntimeError(f"quiz submit answered {start.status_code}, {submit.status_code}")
        if timed:
            cpu += time.process_time() - started[0]
            wall += time.perf_counter() - started[1]
            server += (cpu_seconds(pids_named("postgres")) - started[2]) if postgres else 0
    log.active = False
    count = len(clients) - 5
    return Cost(
        "quiz submit (start + submit)",
        1000 * cpu / count,
        1000 * wall / count,
        round(len(log.statements) / count),
        1000 * log.seconds / count,
        1000 * server / count,
    )


def measure(url: str, postgres: bool) -> list[Cost]:
    from lms import create_app
    from lms.extensions import db

    targets = _targets(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        engine = db.engine
    gc.freeze()  # as app.py does
    log = QueryLog(engine)
    candidate, coordinator = app.test_client(), app.test_client()
    login(candidate, targets["candidate"], PASSWORD)
    login(coordinator, targets["coordinator"], PASSWORD)
    course = f"/courses/{targets['course']}"
    pages = [
        ("home", candidate, ["/"]),
        ("course page", candidate, [course]),
        ("lesson page", candidate, [f"{course}/lessons/{key}" for key in targets["lessons"]]),
        ("quiz page", candidate, [f"{course}/quizzes/{targets['quiz']}"]),
        ("quiz result", candidate, [f"/quiz-attempts/{targets['attempt']}/result"]),
        ("assignment page", candidate, [f"{course}/assignments/{targets['assignment']}"]),
        ("coordinator: region page", coordinator, [f"/dashboard/regions/{targets['region']}"]),
        ("coordinator: overview", coordinator, ["/dashboard/"]),
    ]
    costs = [_measure(page, client, paths, log, postgres) for page, client, paths in pages]
    costs.append(_measure_submits(app, targets, log, postgres))
    log.close()
    engine.dispose()
    return costs


def p99_wait_ms(service_ms: float, servers: int = CORES_PER_NODE, utilisation: float = UTILISATION) -> float:
    """The 99th percentile of the wait for a free core in an M/M/c queue (Erlang C): requests
    arrive at random and take `service_ms` of CPU on average, each node's cores that busy."""
    offered = servers * utilisation
    top = offered**servers / math.factorial(servers) / (1 - utilisation)
    waits = top / (sum(offered**k / math.factorial(k) for k in range(servers)) + top)
    if waits <= 0.01:
        return 0.0
    return math.log(waits / 0.01) / (servers * (1 - utilisation)) * service_ms


def database_bytes(url: str) -> int | None:
    """The PostgreSQL database's size on disk, tables and indexes (None on SQLite)."""
    import sqlalchemy as sa

    if not url.startswith("postgresql"):
        return None
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT pg_database_size(current_database())"))
    finally:
        engine.dispose()


def model(costs: list[Cost], size_per_candidate: float | None = None) -> tuple[str, dict[str, float]]:
    """Cores for a seminar morning from the measured costs and MIX."""
    by_page = {cost.page: cost for cost in costs}
    rate = SCHOOL * ONLINE / THINK_SECONDS
    app_ms = sum(share * by_page[page].app_ms for page, share in MIX.items())
    db_ms = sum(share * by_page[page].db_cpu_ms for page, share in MIX.items())
    statements = sum(share * by_page[page].statements for page, share in MIX.items())
    app_cores = rate * app_ms / 1000 / UTILISATION
    db_cores = rate * db_ms / 1000 / UTILISATION
    nodes = math.ceil(app_cores / CORES_PER_NODE) + 1  # one more, so a node may fail on the morning
    wait = p99_wait_ms(app_ms)
    slowest = max(costs, key=lambda cost: cost.wall_ms)
    figures = {
        "rate": rate,
        "app_ms": app_ms,
        "db_ms": db_ms,
        "statements": statements,
        "app_cores": app_cores,
        "db_cores": db_cores,
        "nodes": nodes,
        "p99_wait": wait,
    }
    text = (
        f"{SCHOOL:,} candidates, {ONLINE:.0%} online, one page every {THINK_SECONDS} s: "
        f"**{rate:,.0f} requests/s**. The mix ({', '.join(f'{p} {s:.0%}' for p, s in MIX.items())}) "
        f"costs {app_ms:.2f} ms of app CPU, {db_ms:.2f} ms of PostgreSQL CPU and {statements:.1f} SQL "
        f"statements per request on average, so {rate * statements:,.0f} statements/s. At "
        f"{UTILISATION:.0%} utilisation: **{app_cores:.1f} app cores = {nodes} nodes of "
        f"{CORES_PER_NODE} cores** (one spare), and **{db_cores:.1f} cores for PostgreSQL**. "
        f"The app spends {app_ms / db_ms if db_ms else math.inf:.1f} times the CPU PostgreSQL does. "
        f"Queueing for a core (M/M/{CORES_PER_NODE} per node at {UTILISATION:.0%}) adds at most "
        f"{wait:.0f} ms for 99 % of requests; with the slowest page's own {slowest.wall_ms:.0f} ms "
        f"({slowest.page}), **p99 ≈ {wait + slowest.wall_ms:.0f} ms** against the 100 ms target."
    )
    if size_per_candidate:
        figures["gb"] = size_per_candidate * SCHOOL / 1e9
        text += (
            f" The database takes {size_per_candidate / 1000:.0f} KB per candidate (tables and indexes of"
            f" the generated data set): **{figures['gb']:.1f} GB for {SCHOOL:,} candidates**."
        )
    return text, figures


def table(costs: list[Cost]) -> str:
    rows = [
        "| request | app CPU per request | wall time in-process | SQL statements | SQL round trips"
        " | PostgreSQL CPU |",
        "|---|---|---|---|---|---|",
    ]
    for cost in costs:
        rows.append(
            f"| {cost.page} | {cost.app_ms:.2f} ms | {cost.wall_ms:.2f} ms | {cost.statements} | "
            f"{cost.sql_ms:.2f} ms | {cost.db_cpu_ms:.2f} ms |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    postgres = args.database == "postgresql"
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.database, Path(tmp)) as url:
        summary = populate(url, args.candidates)
        print(f"data set: {summary.candidates:,} candidates", flush=True)
        size = database_bytes(url)
        costs = measure(url, postgres)
    text, _ = model(costs, size / args.candidates if size else None)
    print(table(costs))
    print(text)
    if args.no_write:
        return
    body = (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {args.database}, "
        f"{args.candidates:,} candidates from bench/generate.py; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; 1-minute load average {load:.1f} "
        f"at the start. {REQUESTS} requests per page after 5 warm-ups, one at a time through the test "
        "client; the submit row is one quiz start and one submit by each of "
        f"{REQUESTS} candidates who had not taken the quiz. App CPU is the process time of the app "
        "(Python, templates, the driver); PostgreSQL CPU is read from the server's processes over the "
        "same requests.\n\n" + table(costs) + "\n\nCapacity model (docs/deployment.md): " + text + "\n"
    )
    write_section(f"Cost per request and capacity, {args.database} (bench/capacity.py)", body)
    if postgres:
        write_deployment(table(costs), text)


DEPLOYMENT = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"


def write_deployment(costs_table: str, model_text: str) -> None:
    """Put the PostgreSQL figures between the capacity markers of docs/deployment.md."""
    import re

    text = DEPLOYMENT.read_text(encoding="utf-8")
    start, end = "<!-- capacity:start (bench/capacity.py writes this) -->", "<!-- capacity:end -->"
    block = f"{start}\n{costs_table}\n\n{model_text}\n{end}"
    text = re.sub(r"<!-- capacity:start.*?<!-- capacity:end -->", lambda _: block, text, flags=re.S)
    DEPLOYMENT.write_text(text, encoding="utf-8")
    print(f"written to {DEPLOYMENT.relative_to(DEPLOYMENT.parent.parent)}")


if __name__ == "__main__":
    main()

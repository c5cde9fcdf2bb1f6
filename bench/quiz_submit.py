"""Quiz submission under load: 200 candidates submit the fixture quiz to gunicorn on 127.0.0.1.

Each candidate has its own cookies and sends one submit request, either all at once (burst) or
spread evenly over a few seconds (paced, a cohort finishing), from one event loop. Prints
p50/p90/p99/max latency and throughput for sync and gthread workers, checks the database holds
exactly one graded attempt per submission (also after a second, double-click submit), and records
the figures in docs/benchmarks.md. Runs on SQLite and on a throwaway PostgreSQL database
(`--database sqlite|postgresql|both`).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import selectors
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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

FIXTURE_COURSES = PROJECT_ROOT / "tests" / "fixtures" / "courses" / "quiz"
COURSE, QUIZ, QUESTIONS = "quiz-course", "q-all", 8
PASSWORD = "bench-password-1"
TARGET_P99 = 0.030  # paced: a cohort finishing
TARGET_BURST_P99 = 0.500  # burst: the whole hall presses "submit" together
TARGET_CPU_MS = 4.0  # worker CPU per submit
TARGET_STATEMENTS = 8  # SQL statements per submit (in-process, PostgreSQL)
# (label, gunicorn workers, threads per worker); one thread means the default sync workers. Two
# per core is what docs/deployment.md runs: a commit waits for the disk (PostgreSQL flushes its log
# on every commit), and a second worker per core uses the CPU meanwhile.
SERVERS = [("sync", 2, 1), ("sync", 4, 1), ("gthread", 2, 4)]
SETUP_CONCURRENCY = 8


class QuizForm(HTMLParser):
    """The take page's quiz form, filled in as a hurried candidate would: the first option each."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.select: str | None = None
        self.questions = 0
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form" and attr.get("id") == "quiz-form":
            self.inside = True
        if not self.inside:
            return
        name = attr.get("name", "")
        if tag == "fieldset" and "question" in attr.get("class", "").split():
            self.questions += 1
        elif tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in ("radio", "checkbox"):
                self.fields.setdefault(name, attr.get("value", "on"))
            elif kind == "hidden":
                self.fields[name] = attr.get("value", "")
            else:
                self.fields[name] = "27" if attr.get("inputmode") == "decimal" else "ТИК"
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and attr.get("value"):
            self.fields.setdefault(self.select, attr["value"])
        elif tag == "button" and name:  # the "Submit answers" button, as the browser sends it
            self.fields[name] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


@dataclass
class Candidate:
    username: str
    client: Client
    attempt_id: int = 0
    form: list[tuple[str, str]] = field(default_factory=list)
    request: bytes = b""  # the submit, built before the clock starts

    def start_attempt(self, csrf_page: str) -> None:
        """Start (not timed): the quiz's start button, then the take page whose form gets submitted."""
        token = self.client.csrf(csrf_page)
        status, location, _ = self.client.post(
            f"/courses/{COURSE}/quizzes/{QUIZ}/start", [("csrf_token", token)]
        )
        if status != 302 or "/quiz-attempts/" not in location:
            raise RuntimeError(f"{self.username}: start answered {status} {location}")
        self.attempt_id = int(location.rstrip("/").rsplit("/", 1)[1])
        status, _, html = self.client.get(f"/quiz-attempts/{self.attempt_id}")
        parser = QuizForm()
        parser.feed(html)
        if status != 200 or parser.questions != QUESTIONS or "csrf_token" not in parser.fields:
            raise RuntimeError(f"{self.username}: take page {status}, {parser.questions} questions")
        self.form = list(parser.fields.items())
        self.request = self.client.prepared_post(f"/quiz-attempts/{self.attempt_id}/submit", self.form)


@dataclass
class Run:
    scenario: str
    server: str
    latencies: list[float]
    seconds: float
    bad: list[str]
    cpu_ms: float = math.nan  # gunicorn workers' CPU per submit during the run
    client_ms: float = math.nan  # this process's CPU per submit (the client threads)
    postgres_ms: float = math.nan  # PostgreSQL's processes' CPU per submit (0 on SQLite)

    @property
    def target(self) -> float:
        return TARGET_BURST_P99 if self.scenario.startswith("burst") else TARGET_P99

    def percentile(self, share: float) -> float:
        """Nearest rank: p99 of 200 samples is the 198th fastest."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def fire(candidates: list[Candidate], spread: float) -> tuple[list[float], float, list[str]]:
    """One submit per candidate, released together (spread 0) or evenly over `spread` s.

    One thread and an event loop, as wrk drives its connections: every submit is a non-blocking
    socket that connects, writes its prepared bytes and reads until the server closes. Threads per
    candidate would spend the CPU they measure on creating themselves and passing the GIL around.
    """
    count = len(candidates)
    results: list[tuple[float, float, int, str]] = [(0.0, 0.0, 0, "")] * count
    selector = selectors.DefaultSelector()
    epoch = time.perf_counter() + 0.05
    released = finished = 0
    while finished < count:
        now = time.perf_counter()
        while released < count and epoch + spread * released / count <= now:
            connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            connection.setblocking(False)
            began = time.perf_counter()
            connection.connect_ex((HOST, candidates[released].client.port))
            selector.register(connection, selectors.EVENT_WRITE, [released, began, 0, []])
            released += 1
        wait = max(0.0, epoch + spread * released / count - now) if released < count else None
        for key, events in selector.select(wait):
            connection, state = key.fileobj, key.data
            index, began, sent, chunks = state
            try:
                if events & selectors.EVENT_WRITE:
                    state[2] += connection.send(candidates[index].request[sent:])
                    if state[2] == len(candidates[index].request):
                        selector.modify(connection, selectors.EVENT_READ, state)
                    continue
                chunk = connection.recv(65536)
                if chunk:
                    chunks.append(chunk)
                    continue
                seconds = time.perf_counter() - began
                status, location = candidates[index].client.read_reply(b"".join(chunks))
            except (OSError, ValueError, IndexError) as error:  # a bad response, not lost
                seconds, status, location = time.perf_counter() - began, 0, repr(error)
            selector.unregister(connection)
            connection.close()
            results[index] = (began, seconds, status, location)
            finished += 1
    selector.close()
    bad = [
        f"{candidate.username}: {status} {location}"
        for candidate, (_, _, status, location) in zip(candidates, results, strict=True)
        if status != 302 or not location.endswith(f"/quiz-attempts/{candidate.attempt_id}/result")
    ]
    wall = max(began + seconds for began, seconds, _, _ in results) - min(row[0] for row in results)
    return [seconds for _, seconds, _, _ in results], wall, bad


def graded_state(user_ids: list[int], number: int, expected: int) -> tuple[dict, list[str]]:
    """Check the database: one submitted, scored attempt `number` per user with all answers graded.

    Returns a snapshot {attempt id: (submitted_at, score, credits)} and the problems found.
    """
    import sqlalchemy as sa

    from lms.extensions import db
    from lms.quizzes.models import Attempt, AttemptAnswer

    try:
        attempts = db.session.scalars(sa.select(Attempt).where(Attempt.user_id.in_(user_ids))).all()
        credits: dict[int, list] = {}
        for attempt_id, credit in db.session.execute(
            sa.select(AttemptAnswer.attempt_id, AttemptAnswer.credit)
            .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
            .where(Attempt.user_id.in_(user_ids))
            .order_by(AttemptAnswer.attempt_id, AttemptAnswer.question_key)
        ):
            credits.setdefault(attempt_id, []).append(credit)
        current = [a for a in attempts if a.number == number]
        problems = []
        if len(current) != expected:
            problems.append(f"{len(current)} attempts #{number}, expected {expected}")
        if len({a.user_id for a in current}) != len(current):
            problems.append("a user has two attempts with the same number")
        if len(attempts) != expected * number:
            problems.append(f"{len(attempts)} attempts in all, expected {expected * number}")
        if unsubmitted := [a.id for a in attempts if a.submitted_at is None]:
            problems.append(f"{len(unsubmitted)} attempts still open")
        if unscored := [a.id for a in current if a.score is None]:
            problems.append(f"{len(unscored)} submitted attempts without a score")
        wrong = [a.id for a in current if len(credits.get(a.id, [])) != QUESTIONS]
        if wrong:
            problems.append(f"{len(wrong)} attempts without exactly {QUESTIONS} answer rows")
        if any(credit is None for a in current for credit in credits.get(a.id, [])):
            problems.append("answer rows without credit")
        snapshot = {a.id: (a.submitted_at, a.score, tuple(credits.get(a.id, []))) for a in current}
        return snapshot, problems
    finally:
        db.session.remove()


def prepare(root: Path, cohorts: int, size: int) -> dict[str, int]:
    """Migrate, import the fixture quiz and insert the candidates; returns user ids by username."""
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from lms.accounts.models import User
    from lms.content.sync import sync_tree
    from lms.core.roles import Role
    from lms.extensions import db

    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    sync_tree(root)
    # Logins are setup, not measured. A real scrypt check costs ~0.1 s and, on SQLite, holds the
    # write lock (POST /login begins IMMEDIATE), so 400 of them would take a minute: one cheap shared
    # hash keeps the setup to seconds.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.execute(
        sa.insert(User),
        [
            {
                "username": f"cand-{cohort}-{index:03d}",
                "password_hash": password_hash,
                "role": Role.CANDIDATE,
                "region_code": "77",
            }
            for cohort in range(cohorts)
            for index in range(size)
        ],
    )
    db.session.commit()
    ids = {name: user_id for name, user_id in db.session.execute(sa.select(User.username, User.id))}
    db.session.remove()
    return ids


def in_parallel(action: Callable[[Candidate], None], candidates: list[Candidate]) -> None:
    with ThreadPoolExecutor(SETUP_CONCURRENCY) as pool:
        list(pool.map(action, candidates))


def bench_server(
    base_url: str, label: str, cohort: list[str], user_ids: dict[str, int], spread: float
) -> tuple[list[Run], list[str]]:
    """Burst on first attempts, paced on second attempts, a double-click re-submit after each."""
    candidates = [Candidate(name, Client(base_url)) for name in cohort]
    ids = [user_ids[name] for name in cohort]
    started = time.perf_counter()

    def first(candidate: Candidate) -> None:
        candidate.client.login(candidate.username, PASSWORD)
        candidate.start_attempt("/")

    in_parallel(first, candidates)
    print(
        f"  {label}: {len(candidates)} logged in, attempts started in {time.perf_counter() - started:.1f} s"
    )
    runs, problems = [], []

    def workers() -> float:
        return cpu_seconds(child_pids(base_url.pid))

    def timed(scenario: str, seconds: float) -> Run:
        used, client, server = workers(), time.process_time(), cpu_seconds(pids_named("postgres"))
        latencies, wall, bad = fire(candidates, seconds)
        per_submit = [
            1000 * (after - before) / len(candidates)
            for before, after in (
                (used, workers()),
                (client, time.process_time()),
                (server, cpu_seconds(pids_named("postgres"))),
            )
        ]
        return Run(scenario, label, latencies, wall, bad, *per_submit)

    for number, scenario, seconds in ((1, "burst", 0.0), (2, "paced", spread)):
        if number > 1:
            in_parallel(lambda c: c.start_attempt(f"/quiz-attempts/{c.attempt_id}/result"), candidates)
        runs.append(timed(scenario, seconds))
        bad = runs[-1].bad
        before, found = graded_state(ids, number, len(candidates))
        runs.append(timed(f"{scenario}, re-submit", seconds))  # the double click, at the same pace
        again = runs[-1].bad
        after, found_again = graded_state(ids, number, len(candidates))
        changed = sum(before.get(key) != value for key, value in after.items())
        for check, issues in (("submit", bad + found), ("re-submit", again + found_again)):
            problems += [f"{label} {scenario} {check}: {issue}" for issue in issues[:5]]
        if changed:
            problems.append(f"{label} {scenario}: re-submit changed {changed} graded attempts")
    return runs, problems


def statements_per_submit(app) -> int:
    """One candidate's submit through the test client, its SQL statements counted (a transaction's
    BEGIN left out: PostgreSQL's driver sends none of its own)."""
    from bench._profile import QueryLog, login
    from bench._server import CSRF_RE
    from lms.accounts.services import create_user
    from lms.extensions import db

    with app.app_context():  # the requests below run outside it, as a server's do
        create_user("cand-statements", PASSWORD, "candidate", region_code="77")
        db.session.commit()
        db.session.remove()
        engine = db.engine
    client = app.test_client()
    login(client, "cand-statements", PASSWORD)
    overview = f"/courses/{COURSE}/quizzes/{QUIZ}"
    token = CSRF_RE.search(client.get(overview).get_data(as_text=True)).group(1)
    attempt = client.post(overview + "/start", data={"csrf_token": token}).headers["Location"]
    fields = QuizForm()
    fields.feed(client.get(attempt).get_data(as_text=True))
    log = QueryLog(engine)
    log.active = True
    response = client.post(attempt + "/submit", data=dict(fields.fields))
    log.close()
    if response.status_code != 302 or "/result" not in response.headers["Location"]:
        raise RuntimeError(f"in-process submit answered {response.status_code}")
    if os.environ.get("BENCH_SHOW_STATEMENTS"):
        for statement, _ in log.statements:
            print("   ", " ".join(statement.split())[:150])
    return sum(1 for statement, _ in log.statements if not statement.startswith("BEGIN"))


def database_version(url: str) -> str:
    import sqlite3

    import sqlalchemy as sa

    from lms.extensions import db

    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    version = db.session.scalar(sa.text("SHOW server_version"))
    db.session.remove()
    return f"PostgreSQL {version.split()[0]}"


def server_name(label: str, workers: int, threads: int) -> str:
    return f"{label} ×{workers}" + (f"×{threads}" if threads > 1 else "")


def bench_database(
    kind: str, size: int, spread: float, postgres_url: str | None, servers: list[tuple[str, int, int]]
) -> tuple[str, list, list, int]:
    from lms import create_app
    from lms.extensions import db

    with tempfile.TemporaryDirectory() as tmp, throwaway_database(kind, Path(tmp), postgres_url) as url:
        root = Path(tmp) / "courses"
        shutil.copytree(FIXTURE_COURSES, root)
        secret = os.urandom(16).hex()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "COURSES_DIR": str(root)})
        with app.app_context():
            try:
                user_ids = prepare(root, len(servers), size)
                version = database_version(url)
                print(f"{version}: migrated, quiz imported, {len(user_ids)} candidates")
                runs, problems = [], []
                env = {"DATABASE_URL": url, "SECRET_KEY": secret, "COURSES_DIR": str(root)}
                for cohort, (label, workers, threads) in enumerate(servers):
                    name = server_name(label, workers, threads)
                    log = Path(tmp) / f"gunicorn-{label}-{workers}.log"
                    with gunicorn(env, workers=workers, threads=threads, log=log) as base_url:
                        usernames = [f"cand-{cohort}-{index:03d}" for index in range(size)]
                        server_runs, server_problems = bench_server(
                            base_url, name, usernames, user_ids, spread
                        )
                    runs += server_runs
                    problems += server_problems
                    if server_problems and log.exists():
                        print(log.read_text(encoding="utf-8", errors="replace")[-3000:])
                    for run in server_runs:
                        print_run(version, run)
            finally:
                db.session.remove()
                db.engine.dispose()
        statements = statements_per_submit(app)
        print(f"  {statements} SQL statements per submit (in-process)")
        return version, runs, problems, statements


def print_run(version: str, run: Run) -> None:
    ms = [1000 * run.percentile(share) for share in (0.5, 0.9, 0.99)]
    print(
        f"  {version.split()[0]:<10} {run.scenario:<20} {run.server:<12} p50 {ms[0]:7.1f}  p90 {ms[1]:7.1f}  "
        f"p99 {ms[2]:7.1f}  max {1000 * max(run.latencies):7.1f} ms  {run.rate:6.0f} req/s  "
        f"CPU per submit: workers {run.cpu_ms:.2f} ms, client {run.client_ms:.2f} ms, "
        f"PostgreSQL {run.postgres_ms:.2f} ms" + (f"  {len(run.bad)} BAD" if run.bad else "")
    )


def table(results: list[tuple[str, list[Run], int]]) -> str:
    lines = [
        "| database | scenario | workers | p50 | p90 | p99 | max | req/s | p99 target "
        f"| workers' CPU per submit (≤ {TARGET_CPU_MS:g} ms) | client / PostgreSQL CPU per submit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for version, runs, _statements in results:
        for run in runs:
            ms = [f"{1000 * run.percentile(share):.1f} ms" for share in (0.5, 0.9, 0.99)]
            met = "met" if run.percentile(0.99) < run.target else "MISSED"
            cpu = "met" if run.cpu_ms <= TARGET_CPU_MS else "MISSED"
            lines.append(
                f"| {version} | {run.scenario} | {run.server} | {' | '.join(ms)} | "
                f"{1000 * max(run.latencies):.1f} ms | {run.rate:.0f} | "
                f"< {1000 * run.target:.0f} ms: {met} | {run.cpu_ms:.2f} ms: {cpu} | "
                f"{run.client_ms:.2f} / {run.postgres_ms:.2f} ms |"
            )
    lines.append("")
    for version, _runs, statements in results:
        met = "met" if statements <= TARGET_STATEMENTS else "MISSED"
        lines.append(f"- {version}: {statements} SQL statements per submit (≤ {TARGET_STATEMENTS}: {met}).")
    return "\n".join(lines) + "\n"


def verdict(results: list[tuple[str, list[Run], int]]) -> str:
    """One line per scenario: where the p99 target was met and where it was missed."""
    lines = []
    for scenario in ("burst", "paced"):
        met, missed = [], []
        for version, runs, _statements in results:
            for run in runs:
                if run.scenario == scenario:
                    name = f"{version.split()[0]} {run.server} ({1000 * run.percentile(0.99):.0f} ms)"
                    (met if run.percentile(0.99) < run.target else missed).append(name)
        target = TARGET_BURST_P99 if scenario == "burst" else TARGET_P99
        lines.append(
            f"- {scenario} (p99 < {1000 * target:.0f} ms): met with {', '.join(met) or 'none'}; "
            f"missed with {', '.join(missed) or 'none'}."
        )
    return "Targets:\n\n" + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--spread", type=float, default=4.0, help="seconds the paced submissions span")
    parser.add_argument("--postgres-url", help="server for the throwaway database (default: local test)")
    parser.add_argument(
        "--server",
        action="append",
        choices=[server_name(*server) for server in SERVERS],
        help="measure only these servers (repeatable); needs --no-write",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md")
    options = parser.parse_args()
    if options.server and not options.no_write:
        parser.error("--server measures part of the table: add --no-write")
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    servers = [server for server in SERVERS if not options.server or server_name(*server) in options.server]

    began = time.perf_counter()
    results, problems, loads = [], [], []
    for kind in kinds:
        load = os.getloadavg()[0]
        version, runs, found, statements = bench_database(
            kind, options.candidates, options.spread, options.postgres_url, servers
        )
        results.append((version, runs, statements))
        problems += found
        loads.append(f"{load:.1f} before {version.split()[0]}")
    loads.append(f"{os.getloadavg()[0]:.1f} at the end")
    print(f"whole run {time.perf_counter() - began:.0f} s; load average {', '.join(loads)}")
    for problem in problems:
        print("PROBLEM", problem)

    body = (
        f"{options.candidates} candidates, each with its own cookies, submit the fixture quiz "
        f"`{QUIZ}` ({QUESTIONS} questions of all types) to gunicorn on 127.0.0.1, one request each. "
        "**burst**: all released at once (queueing dominates); "
        f"**paced**: spread evenly over {options.spread:g} s "
        f"(≈{options.candidates / options.spread:.0f}/s, a cohort finishing). "
        "Each is followed by a double-click re-submit of every attempt. Workers: "
        + ", ".join(
            f"{label} ×{workers}" + (f"×{threads} (`-k gthread --threads {threads}`)" if threads > 1 else "")
            for label, workers, threads in SERVERS
        )
        + ". The client (one thread, an event loop) runs on the same machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; databases: {', '.join(v for v, _, _ in results)}; "
        f"1-minute load average {', '.join(loads)} (the benchmark alone adds about 2; well above "
        "that, other processes were using the CPU too).\n\n"
        + table(results)
        + "\n"
        + verdict(results)
        + "\nLatency is the client's wall time per request (time.perf_counter), p-values by nearest rank; "
        "the timed submit is sent as bytes prepared before the clock starts (connect, write, read to "
        "the server's close), so the load generator takes little of the two cores it shares; "
        "workers' CPU is what gunicorn's worker processes used during the run, divided by its submits, "
        "client CPU this process's and PostgreSQL CPU its server processes' (all of them: other "
        "work on the machine counts too); "
        "SQL statements are counted on one more submit through the test client. "
        + (
            "Checked after every round: every response a 302 to the result page; exactly one submitted, "
            f"scored attempt per candidate with {QUESTIONS} graded answer rows; no open attempts; "
            "the re-submit changed nothing.\n"
            if not problems
            else "Checks FAILED:\n\n" + "\n".join(f"- {problem}" for problem in problems) + "\n"
        )
    )
    if not options.no_write:
        write_section("Quiz submission (bench/quiz_submit.py)", body)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()

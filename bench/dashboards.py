"""Dashboards at scale: server-side time of the coordinator pages over a campaign-sized data set.

Generates the data set with bench/generate.py (PostgreSQL at 100,000 candidates and SQLite at
10,000 by default) or reuses one (`--reuse URL-or-file`), logs a national and a regional
coordinator in through the login form (CSRF on) and times each page in-process with the Flask
test client: p50/p99 of 30 requests after 3 warm-ups. Then EXPLAIN (ANALYZE on PostgreSQL) runs
on every SELECT the main pages issue, sequential scans of the big tables are flagged, and pages
that miss their target are profiled with cProfile. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._profile import QueryLog, top_costs
from bench._profile import login as login_with
from bench._report import write_section
from bench._server import throwaway_database
from bench.generate import (
    COURSES,
    NATIONAL,
    PASSWORD,
    SURNAMES,
    Summary,
    coordinator_name,
    describe,
    populate,
    print_summary,
)

SIZES = {"postgresql": 100_000, "sqlite": 10_000}
WARMUPS, REPEATS, PROFILED = 3, 30, 10
MID_SHARE = 0.02  # "a region with ~2,000 candidates" at 100,000; the same share at other sizes
# Targets in seconds per backend: (national overview, region page, CSV export, user list).
TARGETS = {"postgresql": (0.150, 0.050, 0.500, 0.100), "sqlite": (0.100, 0.100, 0.500, 0.100)}
BIG_TABLES = ("enrolments", "lesson_progress", "users", "quiz_attempts", "submissions", "review_events")


@dataclass
class Page:
    label: str
    viewer: str  # "national" or "regional"
    path: str
    target: float | None
    check: Callable[[bytes], str | None] | None = None  # returns a problem, or None
    times: list[float] = field(default_factory=list)
    queries: int = 0
    sql_seconds: float = 0.0
    size: int = 0
    problems: list[str] = field(default_factory=list)
    gc_pause: float = 0.0  # the longest cyclic-GC pause inside a timed request

    def percentile(self, share: float) -> float:
        if not self.times:
            return math.inf
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    def met(self, share: float) -> str:
        if self.target is None:
            return "—"
        return "yes" if self.percentile(share) < self.target else "NO"


def login(client, username: str) -> None:
    login_with(client, username, PASSWORD)


def csv_rows(expected: int) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        rows = body.decode("utf-8-sig").count("\r\n") - 1
        return None if rows == expected else f"{rows} CSV rows, expected {expected}"

    return check


def xlsx_check(body: bytes) -> str | None:
    return None if body[:2] == b"PK" else "not an XLSX (zip) file"


def drill_down_candidate(region: str) -> int:
    """The region's most advanced candidate: the longest drill-down (attempts, submissions)."""
    import sqlalchemy as sa

    from lms.extensions import db
    from lms.progress.models import Enrolment

    user_id = db.session.scalar(
        sa.select(Enrolment.user_id)
        .where(Enrolment.region_code == region)
        .group_by(Enrolment.user_id)
        .order_by(sa.func.sum(Enrolment.lessons_done).desc(), Enrolment.user_id)
        .limit(1)
    )
    db.session.remove()
    return user_id


def pages_for(summary: Summary, kind: str) -> tuple[list[Page], str]:
    overview, region_page, export, user_list = TARGETS[kind]
    mid = summary.region_near(round(summary.candidates * MID_SHARE))
    big = summary.largest_region
    n_mid, n_big = summary.region_sizes[mid], summary.region_sizes[big]
    candidate = drill_down_candidate(mid)
    # Every candidate is enrolled in the three courses: three rows each on the region page.
    pages = [
        Page("national overview", "national", "/dashboard/", overview),
        Page("overview, regional coordinator", "regional", "/dashboard/", overview),
        Page(f"region {mid} ({n_mid:,} candidates)", "regional", f"/dashboard/regions/{mid}", region_page),
        Page(
            f"region {mid}, status=behind", "regional", f"/dashboard/regions/{mid}?status=behind", region_page
        ),
        Page(
            f"region {big}, largest ({n_big:,} candidates)",
            "national",
            f"/dashboard/regions/{big}",
            region_page,
        ),
        Page(
            f"region {big}, status=behind", "national", f"/dashboard/regions/{big}?status=behind", region_page
        ),
        Page("candidate drill-down", "regional", f"/dashboard/candidates/{candidate}", None),
        Page(f"at-risk lists, region {mid}", "regional", "/dashboard/at-risk", None),
        Page("at-risk lists, national", "national", "/dashboard/at-risk", None),
        Page(f"course heatmap, region {mid}", "regional", f"/dashboard/courses/{COURSES[0][0]}", None),
        Page("course heatmap, national", "national", f"/dashboard/courses/{COURSES[0][0]}", None),
        Page(
            f"CSV export, region {mid} ({3 * n_mid:,} rows)",
            "regional",
            f"/dashboard/regions/{mid}/export.csv",
            export,
            csv_rows(3 * n_mid),
        ),
        Page(
            f"XLSX export, region {mid} ({3 * n_mid:,} rows)",
            "regional",
            f"/dashboard/regions/{mid}/export.xlsx",
            None,
            xlsx_check,
        ),
        *user_pages(mid, user_list),
    ]
    return pages, mid


def user_pages(region: str, target: float) -> list[Page]:
    """The administration's user list over every account a national coordinator manages."""
    surname = SURNAMES[0].lower()
    return [
        Page("users: list, national coordinator", "national", "/admin/users", target),
        Page(f"users: search '{surname}'", "national", f"/admin/users?q={quote(surname)}", target),
        Page("users: search an email fragment", "national", "/admin/users?q=cand-0123", target),
        Page(f"users: region {region}", "national", f"/admin/users?region={region}", target),
        Page("users: sorted by last sign-in", "national", "/admin/users?sort=last_seen&desc=1", target),
        Page("users: never signed in", "national", "/admin/users?status=never", target),
        Page("users: page 1,000", "national", "/admin/users?page=1000", target),
        Page("users: regional coordinator", "regional", "/admin/users", target),
        Page("invitations: never signed in", "national", "/admin/invitations", target),
    ]


def measure(app, pages: list[Page], regional: str, log: QueryLog) -> None:
    clients = {"national": app.test_client(), "regional": app.test_client()}
    login(clients["national"], NATIONAL)
    login(clients["regional"], coordinator_name(regional))
    watch = GcWatch()
    gc.callbacks.append(watch)
    for page in pages:
        client = clients[page.viewer]
        for run in range(WARMUPS + REPEATS):
            watch.pauses.clear()
            started = time.perf_counter()
            response = client.get(page.path)
            body = response.get_data()
            seconds = time.perf_counter() - started
            if run >= WARMUPS:
                page.times.append(seconds)
                page.gc_pause = max(page.gc_pause, sum(watch.pauses))
            if response.status_code != 200:
                page.problems.append(f"status {response.status_code}")
                break
        page.size = len(body)
        if page.check and not page.problems and (problem := page.check(body)):
            page.problems.append(problem)
        # A separate pass with the statement hooks on, so they cost the timed runs nothing.
        log.reset()
        log.active = True
        client.get(page.path).get_data()
        log.active = False
        page.queries, page.sql_seconds = len(log.statements), log.seconds
        print(
            f"  {page.label:<42} p50 {1000 * page.percentile(0.5):8.1f}  "
            f"p99 {1000 * page.percentile(0.99):8.1f} ms"
            f"  {page.queries:3d} queries ({1000 * page.sql_seconds:6.1f} ms SQL)  {page.size / 1024:7.0f} KB"
            f"  GC {1000 * page.gc_pause:5.1f} ms"
            + (f"  target {1000 * page.target:.0f} ms: {page.met(0.5)}" if page.target else "")
            + (f"  PROBLEM {'; '.join(page.problems)}" if page.problems else ""),
            flush=True,
        )
    gc.callbacks.remove(watch)


class GcWatch:
    """Times the cyclic garbage collector's pauses (gc.callbacks), which dominate the p99 spikes."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self.started)


def profile(app, page: Page, regional: str) -> list[str]:
    """cProfile around a few requests of a page that missed its target."""
    client = app.test_client()
    login(client, NATIONAL if page.viewer == "national" else coordinator_name(regional))
    client.get(page.path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILED):
        client.get(page.path).get_data()
    profiler.disable()
    return top_costs(profiler, PROFILED, page.label)


# --- EXPLAIN ---------------------------------------------------------------------------------------

STATEMENT_RE = re.compile(r"\s+")


def _summary(statement: str) -> str:
    text = STATEMENT_RE.sub(" ", statement).strip()
    match = re.search(r"\bFROM (.*?)(?: WHERE | GROUP BY | ORDER BY | LIMIT |$)", text)
    head = "SELECT count(*)" if text.startswith("SELECT count(*)") else "SELECT"
    source = match.group(1) if match else text
    source = re.sub(r"\(SELECT .*\) AS (\w+)", r"(subquery) \1", source)
    return f"{head} FROM {source}"[:110]


def _name(statement: str) -> str | None:
    text = STATEMENT_RE.sub(" ", statement)
    if "count(*)" in text and "FROM enrolments" in text and "GROUP BY" in text and "ORDER BY" not in text:
        return "summary query (rows, due date, completions per day)"
    if "FROM enrolments JOIN users" in text and "ORDER BY users.full_name" in text:
        return "region list query" + (" (page)" if " LIMIT " in text else " (export)")
    if "FROM region_course_stats" in text:
        return "overview query"
    return None


@dataclass
class Plan:
    page: str
    name: str
    statement: str
    lines: list[str]
    milliseconds: float | None
    seq_scans: list[str]


def explain(pages: list[Page], app, regional: str, log: QueryLog, postgres: bool) -> list[Plan]:
    """EXPLAIN each distinct SELECT of the overview, region pages, export and drill-down."""
    from lms.extensions import db

    plans, seen = [], set()
    clients = {"national": app.test_client(), "regional": app.test_client()}
    login(clients["national"], NATIONAL)
    login(clients["regional"], coordinator_name(regional))
    wanted = [page for page in pages if "status" not in page.label and "XLSX" not in page.label]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    for page in wanted:
        log.reset()
        log.active = True
        clients[page.viewer].get(page.path).get_data()
        log.active = False
        with app.app_context():
            for statement, parameters in log.statements:
                key = STATEMENT_RE.sub(" ", statement)
                if not key.lstrip().upper().startswith("SELECT") or key in seen:
                    continue
                seen.add(key)
                rows = db.session.connection().exec_driver_sql(prefix + statement, parameters).all()
                db.session.rollback()
                lines = [row[0] for row in rows] if postgres else [str(row[-1]) for row in rows]
                plans.append(_plan(page.label, statement, lines, postgres))
            db.session.remove()
    return plans


def _plan(page: str, statement: str, lines: list[str], postgres: bool) -> Plan:
    milliseconds = None
    seq_scans = []
    for line in lines:
        if postgres and (match := re.search(r"Execution Time: ([\d.]+) ms", line)):
            milliseconds = float(match.group(1))
        table = re.search(r"Seq Scan on (\w+)", line) if postgres else re.match(r"\s*SCAN (\w+)", line)
        if table and table.group(1) in BIG_TABLES:
            seq_scans.append(table.group(1))
    return Plan(page, _name(statement) or "", statement, lines, milliseconds, seq_scans)


KEY_LINE = re.compile(
    r"Seq Scan|Index|Bitmap|Sort Method|Sort Key|Limit|Aggregate|Hash Join|Nested Loop|Merge Join|"
    r"rows=|Execution Time|SCAN|SEARCH|TEMP B-TREE"
)


def key_lines(plan: Plan, limit: int = 14) -> list[str]:
    chosen = [line.rstrip() for line in plan.lines if KEY_LINE.search(line)]
    out = []
    for line in chosen[:limit]:
        # keep actual time and rows; the cost estimates only add width
        out.append(re.sub(r"\(cost=[^)]*\) ", "", line)[:150])
    return out


def suggest_index(plan: Plan) -> list[str]:
    """For each sequential scan of a big table: an index on its filter columns, or why there is none."""
    out = []
    for index, line in enumerate(plan.lines):
        table = re.search(r"Seq Scan on (\w+)", line) or re.match(r"\s*SCAN (\w+)", line)
        if not table or table.group(1) not in BIG_TABLES:
            continue
        name = table.group(1)
        columns: list[str] = []
        for follow in plan.lines[index + 1 : index + 4]:
            if "Filter:" in follow:
                columns = list(dict.fromkeys(re.findall(r"\b([a-z_]+)\)? (?:=|IS|<|>)", follow)))
        if columns:
            out.append(f"{name}: CREATE INDEX ix_{name}_{'_'.join(columns)} ON {name} ({', '.join(columns)})")
        else:
            out.append(
                f"{name}: read in full without a filter (to build a hash join); filter it by the page's "
                "key as well (e.g. the region) so an index can drive the join"
            )
    return out


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    version: str
    summary: Summary
    pages: list[Page]
    plans: list[Plan]
    profiles: list[list[str]]
    generated_in: float | None


def database_version(postgres: bool) -> str:
    import sqlite3

    import sqlalchemy as sa

    from lms.extensions import db

    if not postgres:
        return f"SQLite {sqlite3.sqlite_version}"
    version = db.session.scalar(sa.text("SHOW server_version"))
    db.session.remove()
    return f"PostgreSQL {version.split()[0]}"


def bench(kind: str, url: str, generated: Summary | None) -> Result:
    """Measure one database. Requests run outside any app context, as under a server: each gets
    its own context, session and Flask-Login user (an outer context would be shared by them all)."""
    from lms import create_app
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": os.urandom(16).hex()})
    with app.app_context():
        summary = generated or describe(url)
        version = database_version(kind == "postgresql")
        pages, mid = pages_for(summary, kind)
        engine = db.engine
    gc.freeze()  # as app.py does once the app is built (the WSGI entry point)
    if generated is None:
        print_summary(summary)
    print(f"{version}: {summary.candidates:,} candidates; measuring (regional coordinator of {mid})")
    log = QueryLog(engine)
    try:
        measure(app, pages, mid, log)
        plans = explain(pages, app, mid, log, kind == "postgresql")
    finally:
        log.close()
    print_plans(plans)
    profiles = []
    for page in pages:
        if page.target is not None and page.percentile(0.5) >= page.target:
            profiles.append(profile(app, page, mid))
            print("\n".join(profiles[-1]))
    engine.dispose()
    return Result(kind, version, summary, pages, plans, profiles, generated and generated.timings["total"])


def print_plans(plans: list[Plan]) -> None:
    for plan in plans:
        took = f"{plan.milliseconds:7.2f} ms" if plan.milliseconds is not None else "          "
        flag = f"  SEQ SCAN {', '.join(plan.seq_scans)}" if plan.seq_scans else ""
        print(f"  EXPLAIN {took}  {plan.name or _summary(plan.statement)}{flag}")
        if plan.name or plan.seq_scans:
            for line in key_lines(plan):
                print(f"      {line}")
        for suggestion in suggest_index(plan):
            print(f"      suggestion: {suggestion}")


def run_kind(kind: str, candidates: int | None, reuse: str | None) -> Result:
    if reuse:
        url = reuse if "://" in reuse else f"sqlite:///{Path(reuse).resolve()}"
        return bench(kind, url, None)
    size = candidates or SIZES[kind]
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(kind, Path(tmp)) as url:
        print(f"generating {size:,} candidates on {kind}")
        summary = populate(url, size)
        print_summary(summary)
        return bench(kind, url, summary)


def table(result: Result) -> str:
    lines = [
        "| page | viewer | p50 | p99 | longest GC pause | queries | target | met (p50 / p99) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for page in result.pages:
        target = f"< {1000 * page.target:.0f} ms" if page.target else "—"
        met = f"{page.met(0.5)} / {page.met(0.99)}" if page.target else "—"
        lines.append(
            f"| {page.label} | {page.viewer} | {1000 * page.percentile(0.5):.1f} ms | "
            f"{1000 * page.percentile(0.99):.1f} ms | {1000 * page.gc_pause:.1f} ms | "
            f"{page.queries} ({1000 * page.sql_seconds:.1f} ms SQL) | "
            f"{target} | {met}" + (f" — PROBLEM: {'; '.join(page.problems)}" if page.problems else "") + " |"
        )
    return "\n".join(lines) + "\n"


def section(result: Result) -> str:
    summary = result.summary
    counts = summary.counts
    sizes = list(summary.region_sizes.items())
    made = (
        f"generated in {result.generated_in:.0f} s by bench/generate.py"
        if result.generated_in
        else f"reused ({summary.url.split('@')[-1]})"
    )
    body = [
        f"### {result.version}, {summary.candidates:,} candidates\n",
        f"Data set {made}: {summary.candidates:,} candidates in {len(sizes)} regions "
        f"(largest {', '.join(f'{c} {n:,}' for c, n in sizes[:3])}; "
        f"smallest {sizes[-1][0]} {sizes[-1][1]:,}), "
        f"{counts['cohorts']} cohorts, {counts['enrolments']:,} enrolments, "
        f"{counts['lesson_progress']:,} lesson progress rows, {counts['quiz_attempts']:,} quiz attempts, "
        f"{counts['submissions']:,} submissions, {counts['review_events']:,} review events.\n",
        table(result),
    ]
    seq = [(plan, suggest_index(plan)) for plan in result.plans if plan.seq_scans]
    if seq:
        body.append("Sequential scans of big tables found by EXPLAIN:\n")
        for plan, suggestions in seq:
            body.append(
                f"- {plan.page}: `{plan.name or _summary(plan.statement)}` scans {', '.join(plan.seq_scans)}"
                + "".join(f"; {suggestion.split(': ', 1)[1]}" for suggestion in suggestions)
            )
        body.append("")
    else:
        body.append(
            "EXPLAIN found no sequential scan of enrolments, lesson_progress or the other big tables.\n"
        )
    named = [plan for plan in result.plans if plan.name]
    if named:
        body.append("Key plan lines of the main queries:\n\n```")
        for plan in named:
            took = f" ({plan.milliseconds:.2f} ms)" if plan.milliseconds is not None else ""
            body.append(f"{plan.name}, {plan.page}{took}:")
            body += [f"  {line}" for line in key_lines(plan, 10)]
        body.append("```\n")
    if result.profiles:
        body.append(
            "Profile of the pages that missed their target (cProfile; own time, then the app's code):\n\n```"
        )
        for lines in result.profiles:
            split = lines.index("    app code by cumulative time:")
            body += lines[:6] + lines[split : split + 7]
        body.append("```\n")
    return "\n".join(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--candidates", type=int, help="default: 100,000 on PostgreSQL, 10,000 on SQLite")
    parser.add_argument("--reuse", help="an existing data set: PostgreSQL URL or SQLite file")
    options = parser.parse_args()
    if options.reuse:
        kinds = ["postgresql" if options.reuse.startswith("postgres") else "sqlite"]
    else:
        kinds = ["postgresql", "sqlite"] if options.database == "both" else [options.database]
    began = time.perf_counter()
    load = os.getloadavg()[0]
    results = [run_kind(kind, options.candidates, options.reuse) for kind in kinds]
    print(f"whole run {time.perf_counter() - began:.0f} s")
    overview, region_page, export, user_list = TARGETS["postgresql"]
    sqlite_pages = TARGETS["sqlite"][0]
    body = (
        "Server-side time per request, measured in-process with the Flask test client (no network, "
        f"no gunicorn): p50 and p99 of {REPEATS} requests after {WARMUPS} warm-ups, nearest rank (p99 of "
        f"30 is the slowest). A national and a regional coordinator log in through the login form. "
        f"Targets: PostgreSQL at 100,000 candidates: region page < {1000 * region_page:.0f} ms, national "
        f"overview < {1000 * overview:.0f} ms, CSV export of a ~2,000-candidate region "
        f"< {1000 * export:.0f} ms, the administration's user list and its searches "
        f"< {1000 * user_list:.0f} ms; "
        f"SQLite at 10,000 candidates: overview and region pages < {1000 * sqlite_pages:.0f} ms (the CSV "
        "export keeps its 500 ms). The mid-size region is the one nearest 2 % of all candidates; each "
        "candidate has three enrolments, so its page lists 3 × its candidates. Queries: statements "
        "per request (and their time) from one extra request with SQLAlchemy hooks on. Longest GC pause: the "
        "most time Python's cyclic garbage collector took inside one timed request (gc.callbacks); it "
        "accounts for most p99 outliers. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"1-minute load average {load:.1f} at the start. Statuses were computed for the run date; cohorts "
        "started 11–16 weeks earlier, so the first course is past due, the second due around now and "
        "the third ahead.\n\n" + "\n".join(section(result) for result in results)
    )
    write_section("Dashboards at scale (bench/dashboards.py)", body)


if __name__ == "__main__":
    main()

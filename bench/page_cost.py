"""Each page of bench/pages.py measured in-process: CPU per request, SQL statements, the profile.

The wrk-style figures of bench/pages.py need a quiet machine; this one measures what one request
costs the app itself (process CPU time through the Flask test client, no network), so it can be
run while other work goes on, and it shows where the time goes. The data set (bench/generate.py
plus the pages' own attempts and playthroughs) is built once into --path and reused: a second
run starts in seconds.

    .venv/bin/python bench/page_cost.py                         # every page, SQLite, 2,000 candidates
    .venv/bin/python bench/page_cost.py --page home --profile   # one page, with cProfile's top costs
    .venv/bin/python bench/page_cost.py --database postgresql --page "quiz start page"
    .venv/bin/python bench/page_cost.py --database postgresql --database-name mine   # a data set of one's own

The estimated ratio models bench/pages.py: the server and its client spend a fixed cost per
request besides the app (--overhead, in ms; about 0.8 ms on the 2-core machine of
docs/benchmarks.md), so ratio ≈ (floor + overhead) / (page + overhead), each with PostgreSQL's
server CPU per request added on PostgreSQL (all its processes: other work on the machine counts).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import sys
import time
from pathlib import Path

from sqlalchemy import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._profile import QueryLog, login, top_costs
from bench._server import cpu_seconds, pids_named
from bench.generate import PASSWORD, ensure_postgres_database, populate
from bench.lesson_page import add_floor_routes
from bench.pages import FLOOR, Page, prepare

DEFAULT_PATH = "/tmp/page_cost.sqlite3"
TURNS = 6
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/page_cost"


def data_set(url: str, candidates: int, state: Path) -> tuple[list[str], list[str], list[Page]]:
    """Generate and prepare once; later runs read the usernames and paths from `state`."""
    if state.exists():
        saved = json.loads(state.read_text(encoding="utf-8"))
        pages = [Page(page["label"], page["viewer"], page["paths"]) for page in saved["pages"]]
        return saved["candidates"], saved["coordinators"], pages
    print(f"generating {candidates:,} candidates into {url} (once)", flush=True)
    populate(url, candidates)
    candidate_names, coordinator_names, pages = prepare(url)
    state.write_text(
        json.dumps(
            {
                "candidates": candidate_names,
                "coordinators": coordinator_names,
                "pages": [{"label": p.label, "viewer": p.viewer, "paths": p.paths} for p in pages],
            }
        ),
        encoding="utf-8",
    )
    return candidate_names, coordinator_names, pages


def cpu_ms_per_request(
    client, paths: list[list[str]], count: int, server: bool = False
) -> tuple[float, float]:
    """(this process's, PostgreSQL's server processes') CPU ms per request; with `server` False
    the second is 0 (SQLite: the database works inside this process)."""
    flat = [path for per_thread in paths for path in per_thread]
    for path in flat:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    started, server_started = time.process_time(), cpu_seconds(pids_named("postgres")) if server else 0.0
    for index in range(count):
        client.get(flat[index % len(flat)]).get_data()
    server_used = cpu_seconds(pids_named("postgres")) - server_started if server else 0.0
    return 1000 * (time.process_time() - started) / count, 1000 * server_used / count


def call_count(client, paths: list[str], count: int) -> float:
    """Python function calls per request: unlike time, the same whatever else the machine does."""
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(count):
        client.get(paths[index % len(paths)]).get_data()
    profiler.disable()
    return pstats.Stats(profiler).total_calls / count  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--path", default=DEFAULT_PATH, help="the SQLite file (kept between runs)")
    parser.add_argument("--candidates", type=int, default=2_000)
    parser.add_argument("--page", action="append", help="a label of bench/pages.py (repeatable)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--overhead", type=float, default=0.8)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print each page's statements")
    parser.add_argument(
        "--database-name",
        default="page_cost",
        help="the PostgreSQL database (its state file is /tmp/<name>.postgresql.json)",
    )
    options = parser.parse_args()

    if options.database == "sqlite":
        url = f"sqlite:///{options.path}"
        state = Path(options.path + ".json")
    else:
        state = Path(f"/tmp/{options.database_name}.postgresql.json")
        named = make_url(POSTGRES_URL).set(database=options.database_name).render_as_string()
        url = named if state.exists() else ensure_postgres_database(named)
    candidate_names, coordinator_names, pages = data_set(url, options.candidates, state)
    if options.page:
        unknown = set(options.page) - {page.label for page in pages}
        if unknown:
            parser.error(f"unknown page {sorted(unknown)}; known: {[page.label for page in pages]}")
        pages = [page for page in pages if page.label in options.page]

    from lms import create_app
    from lms.extensions import db

    # The request log is a cost of the floor and of every page alike; its lines would drown the output.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REQUEST_LOG": False})
    add_floor_routes(app)
    with app.app_context():
        engine = db.engine
    gc.freeze()  # as app.py does
    clients = {}
    for viewer, username in (("candidate", candidate_names[0]), ("coordinator", coordinator_names[0])):
        clients[viewer] = app.test_client()
        login(clients[viewer], username, PASSWORD)
        clients[viewer].get("/")
    floor_paths = [["/_bench/layout"]]
    floor_calls = call_count(clients["candidate"], floor_paths[0], options.requests)
    print(f"{FLOOR}: {floor_calls:.0f} Python function calls per request")
    server = options.database == "postgresql"
    floor, floor_server = cpu_ms_per_request(clients["candidate"], floor_paths, options.requests, server)
    print(
        f"{FLOOR}: {floor:.2f} ms CPU per request" + (f", PostgreSQL {floor_server:.2f} ms" if server else "")
    )
    log = QueryLog(engine)
    for page in pages:
        # The first thread's paths: one person, as bench/pages.py's first client thread.
        paths = [page.paths[0]]
        client = clients[page.viewer]
        # Floor and page in turns, the cheapest turn of each: other processes on the machine only
        # ever add time, so the minimum is the steadiest estimate of the cost itself.
        turns = [
            (
                cpu_ms_per_request(clients["candidate"], floor_paths, options.requests // TURNS, server),
                cpu_ms_per_request(client, paths, options.requests // TURNS, server),
            )
            for _ in range(TURNS)
        ]
        # The cheapest turn of each, counting the database server's CPU too (bench/pages.py's ratio
        # is of requests per second on two cores that gunicorn and PostgreSQL share).
        floor, floor_server = min((turn[0] for turn in turns), key=sum)
        milliseconds, page_server = min((turn[1] for turn in turns), key=sum)
        log.reset()
        log.active = True
        client.get(paths[0][0]).get_data()
        log.active = False
        ratio = (floor + floor_server + options.overhead) / (milliseconds + page_server + options.overhead)
        target = page.target
        verdict = "met" if ratio >= target else "MISSED"
        print(
            f"{page.label}: {milliseconds:.2f} ms CPU (floor {floor:.2f})"
            + (f", PostgreSQL {page_server:.2f} ms (floor {floor_server:.2f})" if server else "")
            + f", {len(log.statements)} statements, "
            f"estimated ratio {ratio:.2f} (target {target:.2f}: {verdict})"
        )
        if options.sql:
            for statement, _ in log.statements:
                print("    " + " ".join(statement.split())[:300])
        if options.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for index in range(options.requests):
                client.get(paths[0][index % len(paths[0])]).get_data()
            profiler.disable()
            calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
            # Calls do not depend on what else the machine is doing: the steady figure to compare.
            print(f"{page.label}: {calls / options.requests:.0f} Python function calls per request")
            print("\n".join(top_costs(profiler, options.requests, page.label, own=15, ours=20)))
    log.close()
    engine.dispose()


if __name__ == "__main__":
    main()

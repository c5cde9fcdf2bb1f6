"""The audit log at a million events: server-side time of the log page and its CSV export.

Generates its own data in a throwaway database (a SQLite file and/or `lms_bench_<pid>` on the local
PostgreSQL): 3,000 users and 1,000,000 events over three years, shaped like the school's traffic
(sign-ins and sign-outs most of all, grading, exports, account and password work; a shared office
address; one busy instructor; rare actions). PostgreSQL gets VACUUM ANALYZE as autovacuum would
give it; SQLite gets no ANALYZE, since nothing in the app runs it.

An admin logs in through the login form and the Flask test client times each page in-process:
p50/p99 of 20 requests after 2 warm-ups for named scenarios, then every one of the 63 combinations
of the six filters (median of 5) with the index EXPLAIN shows the page's query using. Figures go to
docs/benchmarks.md under "Audit log (bench/audit_log.py)".

    .venv/bin/python bench/audit_log.py                      # both databases, 1,000,000 events
    .venv/bin/python bench/audit_log.py --database sqlite --events 200000
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._profile import QueryLog, login
from bench._report import write_section
from bench._server import PROJECT_ROOT, throwaway_database

ADMIN = "bench-admin"
PASSWORD = "bench-password-1"
EVENTS = 1_000_000
USERS = {"admin": 5, "coordinator": 60, "instructor": 40, "candidate": 2_895}
YEARS = 3
OFFICE = "198.51.100.1"  # the campaign office's NAT: many people, one address
WARMUPS, REPEATS, SWEEP_REPEATS = 2, 20, 5
CHUNK = 50_000
EVENT_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "address",
    "details",
)
# (action, share of all events, who does it)
MIX = (
    ("auth.login", 0.40, "anyone"),
    ("auth.logout", 0.18, "anyone"),
    ("auth.login_failed", 0.04, "nobody"),
    ("grading.claim", 0.06, "instructor"),
    ("grading.accept", 0.04, "instructor"),
    ("grading.return", 0.02, "instructor"),
    ("grading.take_over", 0.003, "instructor"),
    ("grading.review_playthrough", 0.01, "instructor"),
    ("export.region", 0.02, "coordinator"),
    ("export.at_risk", 0.01, "coordinator"),
    ("export.audit", 0.001, "admin"),
    ("user.create", 0.03, "manager"),
    ("user.update", 0.02, "manager"),
    ("user.invite", 0.02, "manager"),
    ("user.deactivate", 0.003, "manager"),
    ("user.reactivate", 0.001, "manager"),
    ("user.import", 0.0, "manager"),  # only at the start: see EARLY_IMPORTS
    ("password.reset_requested", 0.02, "self"),
    ("password.reset", 0.015, "self"),
    ("password.set", 0.02, "self"),
    ("password.change", 0.01, "self"),
    ("password.link_issued", 0.001, "admin"),
    ("session.end", 0.03, "anyone"),
    ("due.override", 0.01, "coordinator"),
    ("cohort.member_add", 0.004, "coordinator"),
    ("mail.retry", 0.002, "admin"),
)
# Seconds from the start: imports in the first two months (about 300 of them), the former
# coordinator's work in the first six (about 3,000 events).
EARLY_IMPORTS, IMPORT_SHARE = 60 * 86400, 0.0055
FORMER_WORKED, FORMER_SHARE = 180 * 86400, 0.018
REGIONS = ("77", "50", "78", "69", "16", "66", "54", "23", "61", "02")


@dataclass
class Person:
    id: int
    username: str
    role: str
    addresses: list[str]


@dataclass
class Values:
    """Filter values picked from the generated data: common and rare ones of each filter."""

    busy_actor: str
    former_actor: str
    rare_actor: str
    target: str
    rare_address: str
    day: str
    month_from: str
    month_to: str
    mid_id: int


def generate(url: str, count: int, seed: int = 7) -> tuple[Values, float]:
    """Migrate, add users and `count` events; returns the filter values to measure with."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts.models import User
    from lms.accounts.services import create_user
    from lms.core.roles import Role
    from lms.extensions import db

    started = time.perf_counter()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2"}
    )
    rng = random.Random(seed)
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        create_user(ADMIN, PASSWORD, "admin")
        db.session.commit()
        postgres = db.engine.dialect.name == "postgresql"
        people: dict[str, list[Person]] = {role: [] for role in USERS}
        rows, next_id = [], 1000
        for role, number in USERS.items():
            for index in range(number):
                next_id += 1
                name = f"{role[:4]}{index:05d}"
                region = rng.choice(REGIONS) if role == "candidate" else None
                rows.append(
                    {
                        "id": next_id,
                        "username": name,
                        "full_name": name,
                        "password_hash": "!",
                        "role": Role(role),
                        "region_code": region,
                        "is_active": True,
                        "created_at": datetime.now(UTC),
                        "search_text": name,
                    }
                )
                home = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"]
                home += [OFFICE] if role != "candidate" or rng.random() < 0.1 else []
                people[role].append(Person(next_id, name, role, home))
        # A candidate kept out of the random traffic: exactly three events, below.
        rare = Person(next_id + 1, "cand-rare", "candidate", ["192.0.2.99"])
        # A coordinator who worked only in the first six months (about 3,000 events, all old).
        former = Person(next_id + 2, "coor-former", "coordinator", ["10.99.0.1"])
        for person in (rare, former):
            rows.append(
                {
                    **rows[-1],
                    "id": person.id,
                    "username": person.username,
                    "full_name": person.username,
                    "role": Role(person.role),
                    "search_text": person.username,
                }
            )
        db.session.execute(sa.insert(User.__table__), rows)
        db.session.commit()
        if postgres:
            db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('users', 'id'), 100000)"))
            db.session.commit()

        everyone = [person for group in people.values() for person in group]
        # A few people do most of the work: the first instructor does half of all grading.
        weights = [8.0 if p.role != "candidate" else 1.0 for p in everyone]
        instructors = people["instructor"]
        instructor_weights = [40.0] + [1.0] * (len(instructors) - 1)
        managers = people["admin"] + people["coordinator"]
        actions = [action for action, _share, _who in MIX]
        shares = [share for _action, share, _who in MIX]
        who = {action: kind for action, _share, kind in MIX}
        end = datetime.now(UTC) - timedelta(hours=1)
        span = timedelta(days=365 * YEARS).total_seconds()
        offsets = sorted(rng.random() * span for _ in range(count))
        inserted = 0
        for start in range(0, count, CHUNK):
            batch = []
            for offset in offsets[start : start + CHUNK]:
                at = end - timedelta(seconds=span - offset)
                action = rng.choices(actions, shares)[0]
                if offset < EARLY_IMPORTS and rng.random() < IMPORT_SHARE:
                    action = "user.import"  # bulk imports happen when a campaign starts
                kind = who[action]
                if offset < FORMER_WORKED and rng.random() < FORMER_SHARE:
                    target = rng.choice(people["candidate"])
                    batch.append(
                        _row(
                            at,
                            former,
                            rng.choice(("export.region", "due.override", "user.update")),
                            "user",
                            str(target.id),
                            target.username,
                            former.addresses[0],
                            {},
                            postgres,
                        )
                    )
                    continue
                actor: Person | None
                target: Person | None = None
                details: dict = {}
                if kind == "nobody":
                    actor = None
                    target = rng.choice(everyone) if rng.random() < 0.9 else None
                    label = target.username if target else f"guess{rng.randrange(10**6)}"
                    address = f"203.0.113.{rng.randrange(256)}" if rng.random() < 0.5 else OFFICE
                    batch.append(_row(at, None, action, "user", None, label, address, details, postgres))
                    continue
                if kind == "instructor":
                    actor = rng.choices(instructors, instructor_weights)[0]
                    target = rng.choice(people["candidate"])
                    details = {
                        "candidate": target.username,
                        "course": "c1",
                        "item": "as-plan",
                        "submission": 1,
                    }
                elif kind == "coordinator":
                    actor = rng.choice(people["coordinator"])
                    if action.startswith("export."):
                        region = rng.choice(REGIONS)
                        details = {"region": region, "rows": rng.randrange(2000), "format": "csv"}
                        batch.append(
                            _row(
                                at,
                                actor,
                                action,
                                "region",
                                region,
                                region,
                                rng.choice(actor.addresses),
                                details,
                                postgres,
                            )
                        )
                        continue
                    target = rng.choice(people["candidate"])
                elif kind == "manager":
                    actor = rng.choice(managers)
                    target = rng.choice(everyone)
                elif kind == "admin":
                    actor = rng.choice(people["admin"])
                    target = rng.choice(everyone)
                else:  # anyone, self
                    actor = rng.choices(everyone, weights)[0]
                    target = actor
                batch.append(
                    _row(
                        at,
                        actor,
                        action,
                        "user",
                        str(target.id),
                        target.username,
                        rng.choice(actor.addresses),
                        details,
                        postgres,
                    )
                )
            _write(db, batch, postgres)
            inserted += len(batch)
            print(f"  {inserted:,} events", end="\r", flush=True)
        print()
        # One address seen a handful of times, one candidate who did a handful of things.
        for day in (400, 200, 3):
            _write(
                db,
                [
                    _row(
                        end - timedelta(days=day),
                        rare,
                        "auth.login",
                        "user",
                        str(rare.id),
                        rare.username,
                        "192.0.2.99",
                        {},
                        postgres,
                    )
                ],
                postgres,
            )
        if postgres:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        from lms.audit.models import AuditEvent

        lowest, highest = db.session.execute(
            sa.select(sa.func.min(AuditEvent.id), sa.func.max(AuditEvent.id))
        ).one()
        day = (end - timedelta(days=365)).date()
        values = Values(
            busy_actor=instructors[0].username,
            former_actor=former.username,
            rare_actor=rare.username,
            target=people["candidate"][10].username,
            rare_address="192.0.2.99",
            day=day.isoformat(),
            month_from=(day - timedelta(days=30)).isoformat(),
            month_to=day.isoformat(),
            mid_id=(lowest + highest) // 2,
        )
        db.session.remove()
        db.engine.dispose()
    return values, time.perf_counter() - started


def _row(at, actor, action, target_type, target_id, label, address, details, postgres) -> tuple:
    stamp = at.isoformat() if postgres else at.strftime("%Y-%m-%d %H:%M:%S.%f")
    return (
        stamp,
        actor.id if actor else None,
        actor.username if actor else "",
        action,
        target_type,
        target_id,
        label,
        address,
        json.dumps(details, ensure_ascii=False),
    )


def _write(db, batch: list[tuple], postgres: bool) -> None:
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if postgres:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY audit_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in batch:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in EVENT_COLUMNS)
        raw.executemany(f"INSERT INTO audit_events ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})", batch)
    db.session.commit()


@dataclass
class Scenario:
    label: str
    args: dict[str, str]
    path: str = "/admin/audit/"
    times: list[float] = field(default_factory=list)
    rows: int = 0
    plan: str = ""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.inf

    @property
    def url(self) -> str:
        return self.path + ("?" + urlencode(self.args) if self.args else "")


def scenarios(values: Values) -> list[Scenario]:
    v = values
    return [
        Scenario("no filter, first page", {}),
        Scenario("no filter, a page in the middle (keyset)", {"before": str(v.mid_id)}),
        Scenario("action: auth.login (40 %)", {"action": "auth.login"}),
        Scenario("action: user.import (300, all 3 years old)", {"action": "user.import"}),
        Scenario("actor: busiest instructor", {"actor": v.busy_actor}),
        Scenario("actor: a candidate with 3 events", {"actor": v.rare_actor}),
        Scenario("actor: a coordinator who left 2.5 years ago", {"actor": v.former_actor}),
        Scenario("target: a candidate's username", {"target": v.target}),
        Scenario("address: the shared office address", {"address": OFFICE}),
        Scenario("address: seen 3 times", {"address": v.rare_address}),
        Scenario("one day a year ago", {"date_from": v.day, "date_to": v.day}),
        Scenario(
            "a month, failed sign-ins",
            {"action": "auth.login_failed", "date_from": v.month_from, "date_to": v.month_to},
        ),
        Scenario("auth.login by the 3-event candidate", {"action": "auth.login", "actor": v.rare_actor}),
        Scenario(
            "user.import by the busiest instructor (none)", {"action": "user.import", "actor": v.busy_actor}
        ),
        Scenario("auth.login from the 3-event address", {"action": "auth.login", "address": v.rare_address}),
        Scenario("auth.login about the target candidate", {"action": "auth.login", "target": v.target}),
        Scenario(
            "busiest instructor from a rare address (none)",
            {"actor": v.busy_actor, "address": v.rare_address},
        ),
        Scenario(
            "office address, auth.login_failed, a month",
            {
                "address": OFFICE,
                "action": "auth.login_failed",
                "date_from": v.month_from,
                "date_to": v.month_to,
            },
        ),
        Scenario("CSV export: one day", {"date_from": v.day, "date_to": v.day}, "/admin/audit/export.csv"),
        Scenario(
            "CSV export: busiest instructor's grading claims",
            {"actor": v.busy_actor, "action": "grading.claim"},
            "/admin/audit/export.csv",
        ),
    ]


def sweep(values: Values) -> list[Scenario]:
    """All 63 combinations of the six filters, each with a value that matches something."""
    choices = {
        "action": ("action", "grading.accept"),
        "actor": ("actor", values.busy_actor),
        "target": ("target", values.target),
        "address": ("address", OFFICE),
        "from": ("date_from", values.month_from),
        "to": ("date_to", values.month_to),
    }
    out = []
    for size in range(1, len(choices) + 1):
        for names in itertools.combinations(choices, size):
            out.append(Scenario(" + ".join(names), dict(choices[name] for name in names)))
    return out


PLAN_INDEX = re.compile(r"(ix_audit_events_\w+|pk_audit_events|INTEGER PRIMARY KEY)")


def measure(url: str, cases: list[Scenario], repeats: int, warmups: int) -> str:
    """Time each case; EXPLAIN the page's own SELECT; returns the database's version string."""
    import gc

    import sqlalchemy as sa

    from lms import create_app
    from lms.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2"}
    )
    client = app.test_client()
    login(client, ADMIN, PASSWORD)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        version = db.session.scalar(sa.text("SELECT version()" if postgres else "SELECT sqlite_version()"))
        version = ("PostgreSQL " + version.split()[1]) if postgres else f"SQLite {version}"
        log = QueryLog(db.engine)
        db.session.remove()
    for case in cases:
        for attempt in range(warmups + repeats):
            gc.collect()
            began = time.perf_counter()
            response = client.get(case.url)
            body = response.get_data()
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise RuntimeError(f"{case.url} answered {response.status_code}")
            if attempt >= warmups:
                case.times.append(elapsed)
        text = body.decode("utf-8-sig")
        case.rows = text.count("\r\n") - 1 if case.path.endswith(".csv") else text.count("data-event=")
        case.plan = explain(app, client, case, log, postgres)
    log.close()
    return version


def explain(app, client, case: Scenario, log, postgres: bool) -> str:
    """The indexes the page's events query uses, from EXPLAIN; 'FULL SCAN' when it reads the table."""
    from lms.extensions import db

    log.reset()
    log.active = True
    client.get(case.url).get_data()
    log.active = False
    statements = [
        (sql, params)
        for sql, params in log.statements
        if "FROM audit_events" in sql and "ORDER BY" in sql and "audit_events.details" in sql
    ]
    if not statements:
        return "—"
    sql, params = statements[-1]
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    with app.app_context():
        lines = [
            str(row[0] if postgres else row[-1])
            for row in db.session.connection().exec_driver_sql(prefix + sql, params)
        ]
        db.session.rollback()
        db.session.remove()
    used = list(dict.fromkeys(PLAN_INDEX.findall("\n".join(lines))))
    full = any(re.search(r"Seq Scan on audit_events|^SCAN audit_events$", line.strip()) for line in lines)
    if full:
        used.append("FULL SCAN")
    # A full sort of what the index found (PostgreSQL's Incremental Sort only orders ties of `at`).
    sort = (
        any(re.match(r"(->\s+)?Sort\s+\(", line.strip()) for line in lines)
        if postgres
        else any("TEMP B-TREE" in line for line in lines)
    )
    return ", ".join(used) + (" + sort" if sort else "")


def table(cases: list[Scenario], *, p99: bool = True) -> str:
    head = (
        "| scenario | rows | p50 | p99 | index used |\n|---|---|---|---|---|\n"
        if p99
        else ("| filters | rows | median | index used |\n|---|---|---|---|\n")
    )
    lines = []
    for case in cases:
        if p99:
            lines.append(
                f"| {case.label} | {case.rows:,} | {1000 * case.percentile(0.5):.1f} ms | "
                f"{1000 * case.percentile(0.99):.1f} ms | {case.plan} |"
            )
        else:
            lines.append(
                f"| {case.label} | {case.rows} | {1000 * case.percentile(0.5):.1f} ms | {case.plan} |"
            )
    return head + "\n".join(lines) + "\n"


def run_kind(kind: str, count: int) -> str:
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(kind, Path(tmp)) as url:
        print(f"{kind}: generating {count:,} events")
        values, generated_in = generate(url, count)
        print(f"{kind}: generated in {generated_in:.0f} s; measuring")
        named = scenarios(values)
        version = measure(url, named, REPEATS, WARMUPS)
        print(table(named))
        combos = sweep(values)
        measure(url, combos, SWEEP_REPEATS, 1)
        slowest = sorted(combos, key=lambda case: -case.percentile(0.5))
        full = [case.label for case in combos if "FULL SCAN" in case.plan]
        print(table(slowest[:8], p99=False))
    lines = [
        f"### {version}, {count:,} events\n",
        f"Generated in {generated_in:.0f} s. Named scenarios, {REPEATS} requests each after "
        f"{WARMUPS} warm-ups:\n",
        table(named),
        f"All {len(combos)} combinations of the six filters (action grading.accept, the busiest "
        f"instructor, a candidate as target, the office address, a month's from and to), "
        f"median of {SWEEP_REPEATS}: "
        f"slowest {1000 * slowest[0].percentile(0.5):.1f} ms, median "
        f"{1000 * sorted(c.percentile(0.5) for c in combos)[len(combos) // 2]:.1f} ms; "
        + (f"full table scans: {', '.join(full)}." if full else "none reads the whole table.")
        + " The eight slowest:\n",
        table(slowest[:8], p99=False),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--no-report", action="store_true", help="print only; leave docs/benchmarks.md alone")
    options = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if options.database == "both" else [options.database]
    load = os.getloadavg()[0]
    sections = [run_kind(kind, options.events) for kind in kinds]
    if options.no_report:
        return
    body = (
        "Server-side time per request of the admin's audit log page (`/admin/audit/`) and its CSV export, "
        "in-process with the Flask test client (no network, no gunicorn), an admin signed in through the "
        "login form; p50 and p99 by nearest rank (p99 of 20 is the slowest). The data set is generated by "
        f"the script: {sum(USERS.values()):,} users and the events below over {YEARS} years, 40 % sign-ins, "
        "18 % sign-outs, grading 13 % (one instructor does half of it), the rest accounts, passwords, "
        f"exports and sessions; {OFFICE} is a shared office address (about 10 % of events). Pages list "
        "50 events newest first and continue by keyset (at, id); no page counts the total. 'Index used' is "
        "what EXPLAIN shows for the page's events query; '+ sort' means the rows the index finds are sorted "
        "before the first 50 are taken. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"1-minute load average {load:.1f} at the start.\n\n" + "\n".join(sections)
    )
    write_section("Audit log (bench/audit_log.py)", body)


if __name__ == "__main__":
    main()

"""Every combination of the log's filters has an index to read, on both databases.

The page's own query is captured as it runs and EXPLAINed. PostgreSQL prefers a sequential scan
of a table this small, so it is told not to (enable_seqscan off): a plan that still scans the
table has no index to use. SQLite plans without statistics, the same on ten rows as on millions.
bench/audit_log.py measures the same combinations on a million events.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import session
from werkzeug.datastructures import MultiDict

from lms.audit import search
from lms.extensions import db

FILTERS = {
    "action": "auth.login",
    "actor": "root",
    "target": "anna",
    "address": "10.0.0.1",
    "date_from": "2026-01-01",
    "date_to": "2026-12-31",
}
COMBINATIONS = [
    dict((name, FILTERS[name]) for name in names)
    for size in range(len(FILTERS) + 1)
    for names in itertools.combinations(FILTERS, size)
]


def page_query_plan(args: dict, before: int | None = None) -> list[str]:
    """EXPLAIN of the SELECT the page runs for these filters (the one that orders the events)."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "FROM audit_events" in statement:
            captured.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        search.log_page(search.AuditFilters.from_args(MultiDict(args)), before=before)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert len(captured) == 1, captured
    statement, parameters = captured[0]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
    else:
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    db.session.rollback()
    return plan


@pytest.fixture
def logged(app, make_user, add_event):
    make_user("root", role="admin")
    anna = make_user("anna")
    for day in (1, 2, 3):
        add_event("auth.login", at=datetime(2026, 3, day, tzinfo=UTC), target_label="anna", actor=anna)
    return app


def reads_an_index(plan: list[str], *, narrowed: bool) -> bool:
    """Does the plan read an index, and (when anything narrows the list) search it by a condition?

    Walking the time index backwards to filter every row would "use an index" and still read the
    whole table: with a filter or a cursor, the index must be searched (SQLite SEARCH, PostgreSQL
    Index Cond), not scanned.
    """
    text = "\n".join(plan)
    if "Seq Scan on audit_events" in text or any(line.strip() == "SCAN audit_events" for line in plan):
        return False
    if not narrowed:
        return "ix_audit_events_at" in text
    return "Index Cond" in text or any(line.strip().startswith("SEARCH audit_events USING") for line in plan)


@pytest.mark.parametrize("args", COMBINATIONS, ids=lambda args: "+".join(args) or "none")
def test_each_filter_combination_reads_an_index(logged, args):
    with logged.test_request_context():
        session["lang"] = "ru"
        plan = page_query_plan(args)
    assert reads_an_index(plan, narrowed=bool(args)), plan


@pytest.mark.parametrize(
    "args", [{}, {"action": "auth.login"}, {"target": "anna", "date_from": "2026-03-02"}]
)
def test_a_later_page_reads_an_index_too(logged, args):
    with logged.test_request_context():
        newest = search.log_page(search.AuditFilters.from_args(MultiDict(args)), size=1)
        plan = page_query_plan(args, before=newest.events[0].id)
    assert reads_an_index(plan, narrowed=True), plan


def test_the_date_filters_become_utc_instants_of_the_readers_midnights(logged):
    with logged.test_request_context():
        filters = search.AuditFilters.from_args(MultiDict({"date_from": "2026-03-02"}))
        assert filters.date_from == date(2026, 3, 2)
        # Midnight in Moscow (UTC+3) is 21:00 UTC the day before.
        assert search._utc_midnight(filters.date_from) == datetime(2026, 3, 1, 21, 0, tzinfo=UTC)


INDEXES = {"actor": "ix_audit_events_actor_at", "address": "ix_audit_events_address_at"}


@pytest.mark.parametrize(
    ("args", "narrowest"),
    [
        ({"actor": "olga", "address": "192.0.2.99"}, "address"),  # olga did 31 things, 2 came from there
        ({"actor": "boris", "address": "10.0.0.1"}, "actor"),  # boris did 1 thing, 31 came from there
    ],
)
def test_sqlite_reads_the_index_of_the_narrowest_filter(app, make_user, add_event, args, narrowest):
    """Without statistics SQLite rates equal filters alike; the page points it at the narrower one."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses from its own statistics")
    olga = make_user("olga", role="coordinator")
    boris = make_user("boris", role="coordinator")
    for _ in range(30):
        add_event("export.region", actor=olga, address="10.0.0.1")
    add_event("export.region", actor=olga, address="192.0.2.99")
    add_event("export.region", address="192.0.2.99")
    add_event("export.region", actor=boris, address="10.0.0.1")
    with app.test_request_context():
        plan = "\n".join(page_query_plan(args))
    other = "address" if narrowest == "actor" else "actor"
    assert INDEXES[narrowest] in plan and INDEXES[other] not in plan, plan

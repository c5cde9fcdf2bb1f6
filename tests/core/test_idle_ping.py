"""PostgreSQL connections are pinged before reuse only after sitting idle (lms.core.db).

A ping on every checkout is a round trip on every request; a server restarted overnight, or a
connection closed by an idle timeout, is what the ping is for.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from lms.core.db import ping_idle_connections
from lms.extensions import db


@pytest.fixture
def server_url(app) -> sa.URL:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite files have no server connection to lose: never pinged")
    return db.engine.url


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT pg_backend_pid()"))


def _terminate(url: sa.URL, pid: int) -> None:
    """What a server restart does to a pooled connection, done from outside the pool."""
    onlooker = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with onlooker.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    onlooker.dispose()
    time.sleep(0.05)  # the backend needs a moment to go


def _pool_of_one(url: sa.URL, idle_seconds: float) -> sa.Engine:
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_seconds)
    return engine


def test_an_idle_connection_that_died_is_replaced_before_use(server_url):
    engine = _pool_of_one(server_url, idle_seconds=0.0)  # every reuse counts as idle
    first = _backend_pid(engine)
    _terminate(server_url, first)
    assert _backend_pid(engine) != first  # the request got a fresh connection, not an error
    engine.dispose()


def test_without_the_idle_check_the_dead_connection_fails_its_request(server_url):
    """The control for the test above: the same dead connection, reused within the idle time."""
    engine = _pool_of_one(server_url, idle_seconds=3600.0)
    first = _backend_pid(engine)
    _terminate(server_url, first)
    with pytest.raises(sa.exc.OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != first  # SQLAlchemy replaced it after the failure
    engine.dispose()


@pytest.mark.parametrize(("idle_seconds", "pings"), [(30.0, 0), (0.0, 4)])
def test_only_a_connection_idle_long_enough_is_pinged(server_url, monkeypatch, idle_seconds, pings):
    """Five requests in a row on one connection: none pinged when reused at once; with no idle
    time allowed, every reuse (not the first checkout, which just connected)."""
    engine = _pool_of_one(server_url, idle_seconds)
    made = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: made.append(conn) or real_ping(conn))
    for _ in range(5):
        _backend_pid(engine)
    assert len(made) == pings
    engine.dispose()


def test_a_ping_leaves_no_transaction_open(server_url):
    engine = _pool_of_one(server_url, idle_seconds=0.0)
    _backend_pid(engine)
    with engine.connect() as connection:  # pinged at checkout
        assert connection.connection.dbapi_connection.info.transaction_status.name == "IDLE"
    engine.dispose()


def test_the_app_pings_idle_server_connections_only(app):
    """No ping on every checkout; PostgreSQL's connections watched for idleness, SQLite's not."""
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    watching = [
        listener
        for listener in db.engine.pool.dispatch.checkout
        if getattr(listener, "__qualname__", "").startswith("ping_idle_connections.")
    ]
    expected = 1 if db.engine.dialect.name == "postgresql" else 0
    assert len(watching) == expected

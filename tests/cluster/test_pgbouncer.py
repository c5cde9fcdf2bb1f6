"""Through a transaction-pooling PgBouncer: why DATABASE_PGBOUNCER exists, and that the jobs'
advisory locks hold there (the two-node tests run every page flow through it as well)."""

from __future__ import annotations

import os

import psycopg
import pytest
import sqlalchemy as sa

from lms import create_app
from lms.core import jobs
from lms.extensions import db
from tests.pgbouncer import running_pgbouncer

pytestmark = [
    pytest.mark.xdist_group("cluster"),
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="PgBouncer tests need PostgreSQL (TEST_DATABASE_URL)"
    ),
]
STATEMENT = sa.text("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = :name")


def _bouncer(pool_size: int):
    url = sa.make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    return running_pgbouncer(url.render_as_string(hide_password=False), pool_size=pool_size)


@pytest.fixture
def one_server_connection():
    """PgBouncer with a single server connection, fresh for each test: every client's
    transactions run on that one connection."""
    with _bouncer(1) as url:
        if "://" not in url:
            pytest.skip(url)
        yield url


@pytest.fixture(scope="module")
def two_server_connections():
    with _bouncer(2) as url:
        if "://" not in url:
            pytest.skip(url)
        yield url


def _alternate(engine: sa.Engine, rounds: int = 8) -> None:
    """Two client connections run the same statement in turns, each time in its own transaction."""
    with engine.connect() as first, engine.connect() as second:
        for _ in range(rounds):
            for connection in (first, second):
                connection.execute(STATEMENT, {"name": "pg_class"})
                connection.commit()


def test_server_side_prepares_collide_behind_transaction_pooling(one_server_connection):
    """psycopg prepares a statement on the server after its fifth run, naming it per client
    connection; the second client's prepare meets the first one's on the shared server connection."""
    engine = sa.create_engine(one_server_connection)
    try:
        with pytest.raises(sa.exc.ProgrammingError) as refused:
            _alternate(engine)
        assert isinstance(refused.value.orig, psycopg.errors.DuplicatePreparedStatement)
    finally:
        engine.dispose()


def test_the_app_prepares_nothing_on_the_server_with_database_pgbouncer(one_server_connection):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": one_server_connection, "DATABASE_PGBOUNCER": True}
    )
    with app.app_context():
        try:
            _alternate(db.engine)  # raises as above if anything is prepared
            assert db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")) == 0
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_job_claimed_in_one_transaction_is_refused_to_another_until_it_ends(two_server_connections):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": two_server_connections, "DATABASE_PGBOUNCER": True}
    )
    key = jobs.lock_key("rollups")
    take = sa.select(sa.func.pg_try_advisory_xact_lock(key))
    with app.app_context():
        try:
            assert jobs.claim("rollups") is True
            with db.engine.connect() as other_node:
                assert other_node.scalar(take) is False  # held by the first transaction
                other_node.rollback()
                db.session.commit()  # the run ends: its lock goes with its transaction
                assert other_node.scalar(take) is True
                other_node.rollback()
                assert jobs.claim("rollups") is True  # nothing was left behind on any server connection
                db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()

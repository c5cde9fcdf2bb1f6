"""Cron jobs started on several nodes at once: one run works, the others do nothing (PostgreSQL
advisory locks held by the run's transaction, so a killed run leaves no lock behind). `remind`
queues behind a running one instead: tests/notifications/test_remind.py runs two at once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.content.models import Course
from lms.core import jobs
from lms.extensions import db


@pytest.fixture
def other_node(app):
    """A second connection, as another node's run would hold its job's lock."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; on SQLite the write lock orders runs")
    connection = db.engine.connect()
    yield connection
    connection.rollback()
    connection.close()


def hold(connection, job: str) -> None:
    assert connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(jobs.lock_key(job)))) is True


def course_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Course))


@pytest.mark.parametrize("job", ["import", "rollups", "completions"])
def test_a_job_another_node_is_running_does_nothing_here(runner, other_node, job):
    hold(other_node, job)
    result = runner.invoke(args=["lms", job])  # the command line speaks Russian, as the school does
    assert (result.exit_code, result.output) == (0, f"Уже идёт другой запуск «{job}»; ничего не сделано.\n")


def test_the_import_runs_once_the_other_run_has_ended(runner, other_node):
    hold(other_node, "import")
    assert runner.invoke(args=["lms", "import"]).exit_code == 0
    assert course_count() == 0
    other_node.rollback()  # the other node's run ended (or was killed): its lock went with it
    result = runner.invoke(args=["lms", "import"])
    assert result.exit_code == 0 and course_count() == 1


def test_lock_keys_are_stable_and_distinct():
    assert jobs.lock_key("import") == jobs.lock_key("import")
    assert len({jobs.lock_key(name) for name in ("import", "rollups", "completions", "remind")}) == 4
    assert all(-(2**63) <= jobs.lock_key(name) < 2**63 for name in ("import", "rollups"))

"""Several workers at once: disjoint claims (PostgreSQL: SKIP LOCKED), every message sent once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.mail.sender import claim_due, deliver_due
from tests.mail.conftest import reload


@pytest.fixture
def postgresql_only(app) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite serialises claims by its write lock")


def in_thread(app, work: Callable[[], object]) -> object:
    """Run `work` in another thread with its own app context (so its own session and connection)."""
    result: dict[str, object] = {}

    def run() -> None:
        with app.app_context():
            try:
                result["value"] = work()
            except BaseException as error:  # handed to the test's thread below
                result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the other worker is blocked"
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_a_second_worker_skips_rows_another_is_claiming(app, invite, postgresql_only):
    ids = {invite().id for _ in range(6)}
    db.session.rollback()
    mine = claim_due(3)  # not committed: this transaction holds the three rows' locks

    def other_worker():
        claimed = claim_due(10)
        db.session.commit()
        return claimed

    theirs = in_thread(app, other_worker)
    db.session.commit()
    assert len(mine) == 3 and len(theirs) == 3
    assert {c.id for c in mine}.isdisjoint(c.id for c in theirs)
    assert {c.id for c in mine} | {c.id for c in theirs} == ids
    assert {reload(i).status for i in ids} == {"sending"}


def test_concurrent_workers_deliver_every_message_exactly_once(app, smtp, invite):
    queued = [invite() for _ in range(20)]
    db.session.rollback()
    smtp.delay = 0.02  # each message takes a moment, so the workers' batches overlap
    start = threading.Barrier(3)
    reports, errors = [], []

    def worker() -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                reports.append(deliver_due(batch_size=3))
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in queued)
    assert sum(report.sent for report in reports) == 20
    db.session.rollback()
    assert set(db.session.scalars(sa.select(OutboxMessage.status))) == {"sent"}

"""`after_commit`: an effect that must not happen unless the transaction's data is stored."""

from __future__ import annotations

import sqlalchemy as sa

from lms.core.transactions import after_commit
from lms.extensions import db


def test_it_runs_after_the_commit_only(app):
    ran: list[str] = []
    db.session.execute(sa.text("SELECT 1"))
    after_commit(lambda: ran.append("first"), "first")
    with db.session.begin_nested():
        after_commit(lambda: ran.append("nested"), "nested")
    assert ran == []  # a savepoint's release decides nothing
    db.session.commit()
    assert ran == ["first", "nested"]
    db.session.commit()
    assert ran == ["first", "nested"]  # once


def test_a_rollback_drops_it(app):
    ran: list[str] = []
    after_commit(lambda: ran.append("x"), "x")
    db.session.rollback()
    db.session.commit()
    assert ran == []


def test_its_failure_does_not_undo_the_commit(app):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("git gone")

    after_commit(broken, "broken")
    after_commit(lambda: ran.append("after"), "after")
    db.session.commit()  # no exception: the data is stored
    assert ran == ["after"]

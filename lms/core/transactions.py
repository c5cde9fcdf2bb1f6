"""How a request's statements group into transactions, the same way on SQLite and PostgreSQL.

A request runs in one transaction by default (on SQLite a deferred BEGIN for pages, BEGIN IMMEDIATE
for requests that write: see lms.core.sqlite). Two calls change that where it matters:

- `start_writing()`: a page that has read and now writes, in a transaction of its own.
- `autocommit()`: every statement is its own transaction, for the busiest page (a lesson), whose
  one read needs no snapshot shared with another statement and whose one write is a single UPDATE.
  It saves the BEGIN and COMMIT round trips, and SQLite's write lock is held for the UPDATE alone.
"""

from __future__ import annotations

from flask import g

from lms.extensions import db


def _on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def autocommit() -> None:
    """From here on, until `start_writing`, each statement of this request commits by itself.

    Call it before the request's first statement (or right after a commit). On SQLite the begin
    hook then leaves the connection in autocommit; a statement that opens its own transaction
    waits for the write lock in SQLite's busy handler and has no earlier snapshot to go stale, so
    it is as safe as BEGIN IMMEDIATE. On PostgreSQL the session's connection is set to AUTOCOMMIT,
    which SQLAlchemy undoes when the connection goes back to the pool.
    """
    g.autocommit = True
    if not _on_sqlite():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def start_writing() -> None:
    """From here on this request writes, in a transaction: end what was read so far.

    SQLite: commit the read and take the write lock at the next BEGIN (BEGIN IMMEDIATE), so the
    write never has to upgrade a read whose snapshot another writer made stale. PostgreSQL locks
    rows as they are written, so a read transaction simply goes on; after `autocommit()` a
    transaction starts with the next statement.
    """
    was_autocommit = g.pop("autocommit", False)
    if _on_sqlite():
        db.session.commit()
        g.sqlite_writes = True
    elif was_autocommit:
        db.session.commit()  # gives the autocommit connection back; the next statement begins

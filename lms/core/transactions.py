"""How a request's statements group into transactions, the same way on SQLite and PostgreSQL.

A request runs in one transaction and commits once, here, at its end: a request that writes (see
`lms.core.sqlite.request_writes`: POST and friends, views declared `@writes()`, or after
`start_writing()`) commits when its answer is not an error (a page, a redirect) and rolls back
when it is (a 4xx or 5xx, or an exception). Views and services never commit; a view that refused
a service call and goes on to render rolls back first, so the page shows what is stored. On SQLite
a request that writes starts with BEGIN IMMEDIATE and a page with a deferred BEGIN
(lms.core.sqlite), and a page's transaction ends at teardown.

A page (a request that does not write) reads in a transaction that cannot write, so a write it
was never meant to make fails instead of being silently rolled back: READ ONLY on PostgreSQL,
`query_only` on SQLite. On PostgreSQL it ends with a COMMIT: psycopg answers every ROLLBACK by
dropping all the statements it prepared on that connection, so pages ending with one re-planned
every statement on every request.

Two calls change that where it matters:

- `start_writing()`: a page that has read and now writes, in a transaction of its own.
- `autocommit()`: every statement is its own transaction, for the busiest page (a lesson), whose
  one read needs no snapshot shared with another statement and whose one write is a single UPDATE.
  It saves the BEGIN and COMMIT round trips, and SQLite's write lock is held for the UPDATE alone.

Files follow the transaction: a file written during it (`remove_on_rollback`) is deleted when
the transaction ends without a commit. An effect that must not happen unless the data is stored
(a git commit of published course files) waits for the commit instead (`after_commit`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, Response, g, session
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction

from lms.core.sqlite import page_reads, request_writes
from lms.extensions import db

logger = logging.getLogger(__name__)

WRITTEN_FILES = "lms.written_files"
AFTER_COMMIT = "lms.after_commit"


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


def autocommit_page(view: Callable) -> Callable:
    """A page that only reads, with `autocommit()` from its first statement (the session's user
    included): no BEGIN and ROLLBACK round trips, and on PostgreSQL psycopg keeps the statements it
    prepared (a ROLLBACK makes it deallocate them all, so every statement is planned anew). Put it
    above `role_required`. Its statements do not share one snapshot: for pages of counts and lists
    that is a difference of the moment, never a mixed write."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        autocommit()
        return view(*args, **kwargs)

    return wrapped


def start_writing() -> None:
    """From here on this request writes, in a transaction: end what was read so far.

    The read so far is committed. SQLite then takes the write lock at the next BEGIN (BEGIN
    IMMEDIATE), so the write never has to upgrade a read whose snapshot another writer made stale;
    on PostgreSQL the next transaction is no longer READ ONLY. On both, the request now commits at
    its end. A request that was writing already goes on in its transaction.
    """
    was_autocommit = g.pop("autocommit", False)
    was_writing = request_writes()
    g.writing = True
    if not was_writing or was_autocommit:
        # Only a read so far: end it, so that the next BEGIN takes SQLite's write lock (IMMEDIATE)
        # or is not READ ONLY on PostgreSQL; after autocommit(), give that connection back.
        db.session.commit()


@contextmanager
def writing_command() -> Iterator[None]:
    """Inside a CLI command that reads and then writes (`flask lms remind`): its transactions
    begin by taking SQLite's write lock (BEGIN IMMEDIATE), as a writing request's do, so a second
    run at the same time waits for the first instead of failing on a snapshot the first made
    stale. PostgreSQL needs nothing: unique rows and row locks order concurrent runs."""
    db.session.commit()  # end what was read so far: the next BEGIN is IMMEDIATE
    g.command_writes = True
    try:
        yield
    finally:
        g.pop("command_writes", None)


def keep_writes() -> None:
    """Commit this request's writes although its answer is a refusal (4xx), because what it
    wrote is true whatever the answer: an attempt its deadline closed, a claim on a submission."""
    g.keep_writes = True


def end_request(response: Response) -> Response:
    """The request's one commit (an after_request hook, so a failed commit is a 500, not a
    success page over lost work)."""
    if g.get("autocommit"):
        return response  # the statements committed themselves
    if not request_writes():
        if response.status_code < 500:
            _end_read()
        return response
    status = response.status_code
    if status < 400 or (status < 500 and g.get("keep_writes")):
        try:
            db.session.commit()
        except Exception:
            session.pop("_flashes", None)  # "Saved." would be a lie on the next page
            raise
    else:
        db.session.rollback()
    return response


def _end_read() -> None:
    """End a page's READ ONLY transaction on PostgreSQL with a COMMIT, which keeps psycopg's
    prepared statements (a ROLLBACK drops them). An error page, or a session holding unflushed
    changes (committing would try to write them), is left to the teardown's rollback, as before.
    SQLite's reads end at teardown, where a rollback costs nothing."""
    session = db.session()
    if not session.in_transaction() or not page_reads() or _on_sqlite():
        return  # nothing open, or not READ ONLY (a POST that writes in steps of its own), or SQLite
    if session.new or session.dirty or session.deleted:
        return
    session.commit()


def _mark_page() -> None:
    g.page_request = True


@event.listens_for(Engine, "begin")
def _read_only_pages(connection: Connection) -> None:
    """On PostgreSQL, a page's transaction (`page_reads`) is READ ONLY; every other one (a writing
    request's, a command's, a test's) is read-write. SQLite's counterpart is in lms.core.sqlite."""
    if connection.dialect.name != "postgresql":
        return
    dbapi_connection = connection.connection.dbapi_connection
    wanted = True if page_reads() else None
    if dbapi_connection.read_only is not wanted:
        dbapi_connection.read_only = wanted


def init_app(app: Flask) -> None:
    """Commit (or roll back) each request as it ends; mark requests that went through the app."""
    app.before_request(_mark_page)
    app.after_request(end_request)


# --- Files that belong to a transaction -------------------------------------------------------


def remove_on_rollback(path: Path) -> None:
    """`path` is about to be written as part of this transaction: it is deleted unless the
    transaction commits (a refused form, a failed flush, an error after the service ran).

    Call it before writing, so that nothing failing in between can leave the file behind.
    """
    path = Path(path)
    undo_on_rollback(lambda: path.unlink(missing_ok=True), str(path))


def undo_on_rollback(undo: Callable[[], object], label: str) -> None:
    """The same for anything written outside the database (an object in a bucket): `undo` runs
    unless the transaction commits. Register it before writing."""
    session = db.session()  # the request's Session itself: the scoped proxy lacks get_transaction
    if session.get_transaction() is None:
        session.begin()  # the file belongs to the transaction that holds its row
    session.info.setdefault(WRITTEN_FILES, []).append((undo, label))


def after_commit(action: Callable[[], object], label: str) -> None:
    """`action` runs once this transaction has committed, and never if it does not. It runs
    outside any transaction of this session (the session cannot emit SQL then): what it stores
    goes through a session of its own. Its failure is logged, never raised: the commit stands."""
    session = db.session()
    if session.get_transaction() is None:
        session.begin()
    session.info.setdefault(AFTER_COMMIT, []).append((action, label))


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release decides nothing yet
        return
    session.info.pop(WRITTEN_FILES, None)
    for action, label in session.info.pop(AFTER_COMMIT, ()):
        try:
            action()
        except Exception:  # the data is committed: a follow-up's failure must not turn it into a 500
            logger.warning("%s failed after a commit", label, exc_info=True)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    """A root transaction ended and its files were not kept by a commit: they go (a rollback,
    or a session closed with the transaction still open, as at the end of a failed request)."""
    if transaction.parent is not None:
        return
    session.info.pop(AFTER_COMMIT, None)  # after a commit it is gone already; after a rollback, never
    for undo, label in session.info.pop(WRITTEN_FILES, ()):
        try:
            undo()
        except Exception:  # a storage error must not hide the rollback's own cause
            logger.warning("could not remove %s after a rollback", label, exc_info=True)

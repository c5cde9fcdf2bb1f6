"""SQLite pragmas and transaction start, so concurrent requests behave as on PostgreSQL.

WAL lets readers run beside a writer. A deferred transaction that reads and then writes can
fail at once with "database is locked" when another writer committed in between (busy_timeout
does not help there), so requests that may write (POST and friends) start with BEGIN IMMEDIATE
and queue for the write lock instead. Pages (GET) start a plain deferred transaction.
`lms.core.transactions` decides when a request starts writing or runs without transactions.
"""

from __future__ import annotations

import sqlite3

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, _record) -> None:
    """Every SQLite connection, whichever engine opened it, gets the same pragmas."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's begin hook below issue BEGIN itself (the pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def writes(flag: bool = True):
    """Declare whether a view writes, overriding the guess from its HTTP method.

    Pages that record a view on GET write; the login POST reads first and writes only after the
    slow password check, in a transaction of its own, so it must not hold the lock meanwhile.
    A request that writes takes the write lock at BEGIN here, and commits at its end
    (lms.core.transactions); one that reads does neither.
    """

    def decorator(view):
        view.declared_writes = flag
        return view

    return decorator


def request_writes() -> bool:
    """Whether this request writes: `start_writing()` was called, or the view declared it, or
    else its HTTP method says so (GET, HEAD and OPTIONS read)."""
    if not has_request_context():
        return False
    if "writing" in g:
        return g.writing
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "declared_writes", None)
    if declared is not None:
        return declared
    return request.method not in READ_ONLY_METHODS


def page_reads() -> bool:
    """Whether a transaction begun now is a page's read: a GET (or HEAD, OPTIONS) the app
    dispatched (its hooks ran, see lms.core.transactions; not code run in a bare request context)
    that does not write and is not in autocommit. Such a transaction cannot write: SQLite's
    `query_only`, PostgreSQL's READ ONLY (lms.core.transactions). A POST declared `@writes(False)`
    (the login form) still writes in steps of its own: it only takes no write lock at BEGIN."""
    return (
        has_request_context()
        and g.get("page_request", False)
        and request.method in READ_ONLY_METHODS
        and not g.get("autocommit", False)
        and not request_writes()
    )


@event.listens_for(Engine, "begin")
def _on_begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    _query_only(connection, page_reads())
    if has_request_context() and g.get("autocommit"):
        return  # lms.core.transactions.autocommit: the DBAPI connection stays in autocommit
    connection.exec_driver_sql("BEGIN IMMEDIATE" if request_writes() or command_writes() else "BEGIN")


def _query_only(connection, on: bool) -> None:
    """Set the connection's `query_only` pragma, remembered on its pool record so that it is only
    sent when it changes (pages keep it on, writers off)."""
    record = connection.connection.info
    if record.get("query_only", False) != on:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        record["query_only"] = on


def command_writes() -> bool:
    """Whether a command (no request) declared that it reads and then writes, with
    `lms.core.transactions.writing_command()`: its transactions take the write lock at BEGIN."""
    return not has_request_context() and has_app_context() and bool(g.get("command_writes"))


def init_app(_app) -> None:
    """Importing this module registers the hooks; kept for an explicit line in the factory."""

"""SQLite pragmas: WAL for concurrent readers, foreign keys enforced, a busy timeout."""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, _record) -> None:
    """Every SQLite connection, whichever engine opened it, gets the same pragmas."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(_app) -> None:
    """Importing this module registers the hook; kept for an explicit line in the factory."""

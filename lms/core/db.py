"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles

from lms.extensions import db

# A pooled PostgreSQL connection idle longer than this is checked with a round trip before use.
IDLE_PING_SECONDS = 30.0


def ping_idle_connections(engine: sa.Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Check a pooled connection before reuse only when it sat idle for `idle_seconds`.

    SQLAlchemy's pool_pre_ping pays a round trip on every checkout, i.e. every request. A server
    restart or an idle timeout finds connections that have been idle; one that fails its ping is
    replaced (DisconnectionError) and the request goes on. A connection that dies while busy fails
    its request, and SQLAlchemy then replaces every connection of the pool.
    """

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping's SELECT opened a transaction
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError(f"idle connection failed its ping: {error}") from error

    sa.event.listen(engine.pool, "checkin", checked_in)
    sa.event.listen(engine.pool, "checkout", checked_out)


def init_app(app: Flask) -> None:
    """Ping idle server connections (not SQLite's files, which never go stale), unless the
    instance config asked SQLAlchemy to ping every checkout (`pool_pre_ping`)."""
    if (app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("pool_pre_ping"):
        return
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name != "sqlite":
                ping_idle_connections(engine, app.config["DATABASE_IDLE_PING_SECONDS"])


def insert_or_ignore(model: type, values: dict[str, Any], conflict_columns: list[str] | None) -> bool:
    """INSERT unless a row with the same unique columns exists: safe against double submits.

    `conflict_columns=None` skips the row when it clashes with ANY unique index of the table (a
    partial one such as "one open attempt" included). With named columns, PostgreSQL still raises
    on a clash with another unique index. Returns True when this call inserted the row.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    # RETURNING tells whether a row was written; psycopg reports no rowcount for this INSERT.
    # Flush first so rows this insert depends on are already written.
    db.session.flush()
    statement = statement.returning(sa.literal_column("1"))
    return db.session.connection().execute(statement).first() is not None


def insert_many_or_ignore(model: type, rows: list[dict[str, Any]], conflict_columns: list[str]) -> None:
    """One multi-row INSERT that skips rows whose unique columns already exist (see insert_or_ignore)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.flush()
    db.session.connection().execute(
        insert(model).values(rows).on_conflict_do_nothing(index_elements=conflict_columns)
    )


class utc_day(sa.sql.functions.FunctionElement):
    """The UTC calendar day of a timestamp column, as a date on every backend.

    Grouping by day in SQL sends a few dozen rows instead of one per completion; PostgreSQL's own
    date() would use the session's time zone, so the cast names UTC explicitly.
    """

    inherit_cache = True
    name = "utc_day"
    type = sa.Date()


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler, **kw) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


class commit_without_flush_wait(sa.sql.expression.ColumnElement):
    """A WHERE condition, always true, that lets the statement's transaction commit without waiting
    for PostgreSQL to flush its log to disk (`synchronous_commit` off for that transaction only).

    For bookkeeping writes on pages that only read, such as "last seen" and "last lesson": a
    crash may lose the last fraction of a second of them, which costs nothing, while waiting for
    the disk costs a read page several milliseconds. Never for anything a person would miss: an
    answer, a submission, a mark. A no-op on SQLite (its WAL with synchronous=NORMAL does not wait).
    """

    inherit_cache = True
    _traverse_internals: list = []  # nothing varies: the statements using it are compiled once, cached
    type = sa.Boolean()


@compiles(commit_without_flush_wait, "postgresql")
def _commit_without_flush_wait_postgresql(element: commit_without_flush_wait, compiler, **kw) -> str:
    return "(SELECT set_config('synchronous_commit', 'off', true)) = 'off'"


@compiles(commit_without_flush_wait)
def _commit_without_flush_wait_default(element: commit_without_flush_wait, compiler, **kw) -> str:
    return "1"  # SQLite's compiler compares a boolean condition with 1 itself


class json_rows(sa.sql.functions.FunctionElement):
    """An aggregate: the rows' values as a JSON list of lists, `[[a, b], ...]` (None over no rows).

    For a page's one statement that needs a few child rows beside its parent row: in a scalar
    subquery they come as one value instead of repeating the parent (and its JSON) once per child.
    Values come back as JSON gives them; cast a JSON column to text and decode it in Python.
    """

    inherit_cache = True
    name = "json_rows"
    type = sa.JSON()


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler, **kw) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows)
def _json_rows_default(element: json_rows, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def built_on(schema_object: object, dialect: str) -> bool:
    """Whether a model's schema object exists on this backend (`Index(...).ddl_if(dialect=...)`).

    Alembic's comparison does not read `ddl_if`; autogenerate and the migration test pass this as
    `include_object`, so a PostgreSQL-only index is neither demanded on SQLite nor dropped there.
    """
    condition = getattr(schema_object, "_ddl_if", None)
    if condition is None or condition.dialect is None:
        return True
    wanted = condition.dialect
    return dialect == wanted if isinstance(wanted, str) else dialect in wanted


def next_number(number_column: sa.orm.InstrumentedAttribute, *conditions: sa.ColumnElement[bool]) -> int:
    """1 + the highest number among the rows matching `conditions` (a candidate's attempts at a
    quiz, playthroughs of a scenario): the number a new try takes. Two requests may compute the same
    number; the table's unique (…, number) index and `insert_or_ignore` settle which one wins."""
    highest = db.session.scalar(sa.select(sa.func.max(number_column)).where(*conditions))
    return 1 + (highest or 0)

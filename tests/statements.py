"""A record of the SQL the app sends, for tests that count statements or check their kind."""

from __future__ import annotations

import re

from sqlalchemy import event

from lms.extensions import db


class Statements:
    """Every statement sent through SQLAlchemy while the block runs, or only those matching `only`
    (a regular expression tried at the start of the statement, case-insensitive)."""

    def __init__(self, only: str | None = None) -> None:
        self.only = re.compile(rf"\s*(?:{only})", re.I) if only else None
        self.sql: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        if self.only is None or self.only.match(statement):
            self.sql.append(statement)

    @property
    def verbs(self) -> list[str]:
        """The first word of each statement, upper case: SELECT, UPDATE, BEGIN..."""
        return [statement.split(None, 1)[0].upper() for statement in self.sql]

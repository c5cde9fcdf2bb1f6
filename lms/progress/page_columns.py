"""Columns that domains above progress add to the one statement of a page about a course.

The home page's course cards and the course page each read the session's user, a course and the
reader's enrolment in one statement. A domain that shows something of its own there (the
certificates: the reader's completion and its certificate) registers one entry: it takes such a
statement and returns it with its outer joins (on `User.id` and `Course.id`) and its labelled
columns added; the pages carry those columns as `extra`, by label. Progress never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

Extend = Callable[[sa.Select], sa.Select]
Builder = TypeVar("Builder")

_entries: list[Extend] = []
_rebuilds: list[Callable[[], None]] = []


def add_page_columns(extend: Extend) -> Extend:
    """Register an entry (a decorator); every page's statement is built anew with it."""
    _entries.append(extend)
    for rebuild in _rebuilds:
        rebuild()
    return extend


def with_page_columns(statement: sa.Select) -> sa.Select:
    """The statement with every registered entry's joins and columns."""
    for extend in _entries:
        statement = extend(statement)
    return statement


def rebuilt_on_change(build: Builder) -> Builder:
    """For a page's cached statement builder (`functools.cache`): cleared when an entry is added."""
    _rebuilds.append(build.cache_clear)  # type: ignore[attr-defined]
    return build

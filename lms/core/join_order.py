"""`leading_join(left, right, on)`: a join SQLite walks from its left side, whatever it estimates.

SQLite runs without statistics here (nothing runs ANALYZE), so for a page such as "the region's
enrolments in candidate-name order, first 50" it may start from the enrolments, fetch all of the
region's rows and sort them, where starting from the candidates' name index stops after one page.
SQLite keeps the order of a CROSS JOIN as written; other databases get a plain JOIN and plan it
with their statistics.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join


class LeadingJoin(Join):
    """An inner join whose left side SQLite must read first."""

    inherit_cache = True


@compiles(LeadingJoin, "sqlite")
def _sqlite_cross_join(join: LeadingJoin, compiler, **kw) -> str:
    text = compiler.visit_join(join, **kw)
    left = compiler.preparer.format_table(join.left) + " JOIN "
    if not text.startswith(left):  # the left side is a plain table (see leading_join)
        raise ValueError(f"unexpected join {text!r}")
    return left.replace(" JOIN ", " CROSS JOIN ") + text[len(left) :]


def leading_join(left: Table, right, onclause) -> LeadingJoin:
    """`left JOIN right ON onclause`, read from `left` first on SQLite; `left` is a table."""
    return LeadingJoin(left, right, onclause)

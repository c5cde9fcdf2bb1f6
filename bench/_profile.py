"""What in-process benchmarks share: a test-client login, a statement log and a cProfile summary.

Test-client requests must run outside any app context: inside one, every request would share its
`g` (Flask-Login's user) and its SQLAlchemy session, as no server ever does.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path

from bench._server import CSRF_RE

PATH_MARKERS = ("/site-packages/", str(Path(__file__).resolve().parent.parent) + "/", "/lib/python3")


def login(client, username: str, password: str) -> None:
    """Through the real form: GET /login for the CSRF token, then POST the credentials."""
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    if match is None:
        raise RuntimeError("no csrf_token on /login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": match.group(1)}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} answered {response.status_code}")


class QueryLog:
    """Counts and times the statements sent to the database while `active`; keeps them for EXPLAIN."""

    def __init__(self, engine) -> None:
        import sqlalchemy as sa

        self.engine = engine
        self.statements: list[tuple[str, object]] = []
        self.seconds = 0.0
        self.durations: list[float] = []  # each statement's, in order
        self.started: list[float] = []
        self.active = False
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active:
            self.statements.append((statement, parameters))
            self.started.append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active and self.started:
            seconds = time.perf_counter() - self.started.pop()
            self.seconds += seconds
            self.durations.append(seconds)

    def reset(self) -> None:
        self.statements, self.seconds, self.started, self.durations = [], 0.0, [], []

    def close(self) -> None:
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def short_name(filename: str, line: int, name: str) -> str:
    for marker in PATH_MARKERS:
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})" if line else name


def top_costs(
    profiler: cProfile.Profile, requests: int, label: str, *, own: int = 12, ours: int = 10
) -> list[str]:
    """The functions with the most own time, then the app's own code (lms/, templates/) by cumulative time."""
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = [
        (own_time, cumulative, calls, short_name(*where))
        for where, (_, calls, own_time, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    lines = [f"{label}: {1000 * total / requests:.1f} ms per request under the profiler"]
    lines += [
        f"    own {100 * own_time / total:5.1f} %  cum {100 * cum / total:5.1f} %  {calls:>8} calls  {where}"
        for own_time, cum, calls, where in sorted(rows, reverse=True)[:own]
    ]
    app_rows = sorted(
        (row for row in rows if row[3].startswith(("lms/", "templates/"))), key=lambda row: -row[1]
    )
    lines.append("    app code by cumulative time:")
    lines += [
        f"    cum {100 * cum / total:5.1f} %  own {100 * own_time / total:5.1f} %  {calls:>8} calls  {where}"
        for own_time, cum, calls, where in app_rows[:ours]
    ]
    return lines

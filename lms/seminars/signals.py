"""Events the attendance part of seminars answers, so the programme's code never imports it.

`sessions_in_use` is asked (with `session_ids`) before sessions are deleted, by an import whose
file no longer lists them or by an admin in the browser: each receiver returns the set of those
ids it keeps records about (attendance marks). Such sessions are not deleted: the import is
refused and the browser says why, so no mark is ever lost.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

sessions_in_use = _signals.signal("seminar-sessions-in-use")


def sessions_with_records(session_ids: list[int]) -> set[int]:
    """The ids among `session_ids` some receiver keeps records about (none when nobody answers:
    without attendance there is nothing to lose)."""
    found: set[int] = set()
    if not session_ids:
        return found
    for _receiver, answer in sessions_in_use.send(None, session_ids=session_ids):
        found |= set(answer)
    return found

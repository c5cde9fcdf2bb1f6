"""Import events other domains follow without content importing them (arrows point down).

Progress connects to all three (lms.progress.services): it keeps the records that decide whether
a row whose file is gone is archived or deleted, and the rollups a changed course must refresh.
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

_signals = Namespace()

# Asked during an import with `lesson_ids` (or `course_ids`) of rows whose files are gone: each
# receiver returns the set of those ids it keeps records about (progress: lessons someone opened,
# courses someone is enrolled on). Such rows are archived; the others are deleted.
lessons_in_use = _signals.signal("lessons-in-use")
courses_in_use = _signals.signal("courses-in-use")

# Sent with the course as sender once an import recounted and reordered its items.
course_items_changed = _signals.signal("course-items-changed")


def ids_in_use(signal: NamedSignal, **ids: list[int]) -> set[int]:
    """Every receiver's answer together. Nobody answering is a wiring bug, never "not in use":
    taking it for one would delete rows that progress still points at."""
    if not signal.receivers:
        raise RuntimeError(f"nothing answers the {signal.name!r} signal: import lms.progress.services")
    found: set[int] = set()
    for _receiver, answer in signal.send(**ids):
        found |= answer
    return found

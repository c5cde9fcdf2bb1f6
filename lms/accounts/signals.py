"""Account events other domains follow without accounts importing them (arrows point down)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the user as sender and `previous` (the old region code) after a user's region changed;
# progress moves the candidate's enrolments and rollup counts along.
region_changed = _signals.signal("region-changed")

"""Seminars: the school's face-to-face training days, their programme and the online modules
that prepare for and follow up on each session."""

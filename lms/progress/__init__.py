"""Enrolments, lesson progress, completion rules and per-course rollups."""

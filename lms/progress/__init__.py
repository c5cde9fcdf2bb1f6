"""Enrolments, lesson progress, completion rules and per-course rollups; who may see whom
(visibility); the course outline and lesson pages."""

"""Course staff: which instructors teach which courses (admins)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("course_staff", __name__, url_prefix="/admin/courses")

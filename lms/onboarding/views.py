"""Upload, preview and confirm a file of users."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("onboarding", __name__, url_prefix="/admin/import")

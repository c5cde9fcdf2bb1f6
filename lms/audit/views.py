"""The audit log page for admins: browse and filter; nothing here edits or deletes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

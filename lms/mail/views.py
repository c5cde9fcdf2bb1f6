"""The outbox page for admins: queued, sent and failed messages, with their links."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

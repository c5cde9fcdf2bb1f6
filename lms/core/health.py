"""Probes for the load balancer: `/healthz` (the process answers) and `/readyz` (it can serve:
the database answers `SELECT 1` and the file storage is reachable).

Both are open to anyone, need no sign-in or CSRF token, read no session and set no cookie; a
failed check answers 503 with a JSON reason (the error's class only: the details go to the log,
not to whoever asks).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from lms.core import storage
from lms.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
def healthz() -> Response:
    """The process is up and answering; no database, so a database outage does not restart it."""
    return _no_store(jsonify(status="ok"))


def _check_database() -> None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    finally:
        db.session.rollback()  # nothing held open between probes (PgBouncer's transaction mode)


def _check_storage() -> None:
    storage.attachments().ping()
    storage.assets().ping()


CHECKS = {"database": _check_database, "storage": _check_storage}


@bp.route("/readyz")
def readyz() -> Response | tuple[Response, int]:
    """Ready for traffic: every check passed; else 503 naming what failed."""
    failed: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "send no traffic here", never a 500
            log.warning("readiness check %s failed: %r", name, error)
            failed[name] = type(error).__name__
    if failed:
        reason = "; ".join(f"{name} unreachable ({error})" for name, error in failed.items())
        return _no_store(jsonify(status="unavailable", reason=reason, failed=failed)), 503
    return _no_store(jsonify(status="ok", checks={name: "ok" for name in CHECKS}))


def _no_store(response: Response) -> Response:
    response.cache_control.no_store = True
    return response

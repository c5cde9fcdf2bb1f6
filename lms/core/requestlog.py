"""Request ids and one structured log line per request, on the logger `lms.requests`.

Every request gets an id: the load balancer's `X-Request-ID` when it is sane (1–64 characters of
letters, digits and `._:-`), else a new one. It is sent back in the response's `X-Request-ID`,
written in the request's log line and, through `RequestIdFilter`, added as `request_id` to every
log record made while the request runs (an unhandled exception with its SQL, a warning), so one
grep finds everything about one request on every node.

With `REQUEST_LOG` on (the production default; off in tests) each request ends with one JSON line:
`{"ts", "level", "logger", "request_id", "method", "path", "status", "duration_ms", "user_id",
"endpoint"}`. Path segments that carry a secret (a set-password token) are written as `[redacted]`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

logger = logging.getLogger("lms.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
# Health probes every few seconds from each load balancer would drown the log: skipped unless
# REQUEST_LOG_PROBES is on (they are still counted in the metrics).
PROBE_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "metrics.metrics"})
ERROR_FORMAT = "%(asctime)s %(levelname)s request_id=%(request_id)s %(name)s: %(message)s"


def incoming_request_id(value: str | None) -> str | None:
    """The caller's request id if it is safe to log and send back, else None."""
    if value and _SANE_ID.match(value):
        return value
    return None


def current_request_id() -> str | None:
    """This request's id (None outside a request)."""
    if not has_request_context():
        return None
    return g.get("request_id")


def elapsed_seconds() -> float | None:
    """Seconds since this request began (None outside a request or before its first hook)."""
    started = g.get("request_started") if has_request_context() else None
    return None if started is None else time.perf_counter() - started


class RequestIdFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request) to every record it sees; put it on a handler to
    cover every logger writing there (also usable from a logging dictConfig)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


def _begin() -> None:
    g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _logged_path() -> str:
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "[redacted]")
    return path


def _user_id() -> int | None:
    """The id of the user this request already loaded, read from its identity key: after the
    request's commit the object is expired, and reading `user.id` would load it again (a SELECT,
    and on SQLite a write transaction's BEGIN) just to log it."""
    user = g.get("_login_user")
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    if state is None or not state.identity:
        return None
    return state.identity[0]


def _finish(app: Flask, response: Response) -> Response:
    if "request_id" not in g:  # a hook before ours refused the request (a CSRF error)
        _begin()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    if not app.config.get("REQUEST_LOG"):
        return response
    if request.endpoint in PROBE_ENDPOINTS and not app.config.get("REQUEST_LOG_PROBES"):
        return response
    duration = elapsed_seconds() or 0.0
    line = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "logger": logger.name,
        "request_id": g.request_id,
        "method": request.method,
        "path": _logged_path(),
        "status": response.status_code,
        "duration_ms": round(duration * 1000, 2),
        "user_id": _user_id(),
        "endpoint": request.endpoint,
    }
    logger.info(json.dumps(line, ensure_ascii=False), extra={"request_fields": line})
    return response


def _install_handlers(app: Flask) -> None:
    """Production logging: request lines as bare JSON on stderr (gunicorn's journal), and the
    app's own error lines (tracebacks) with the request id in front."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # else the app logger's handler would print each line again
    if not any(isinstance(f, RequestIdFilter) for f in default_handler.filters):
        default_handler.addFilter(RequestIdFilter())
        default_handler.setFormatter(logging.Formatter(ERROR_FORMAT))


def init_app(app: Flask) -> None:
    """Give each request an id and log it as it ends. Call first: its `before_request` then runs
    before every other hook and its `after_request` after every other (with the final status)."""
    app.before_request(_begin)

    @app.after_request
    def _log_request(response: Response) -> Response:
        return _finish(app, response)

    if not any(isinstance(f, RequestIdFilter) for f in app.logger.filters):
        app.logger.addFilter(RequestIdFilter())  # Flask logs unhandled exceptions here
    if app.config.get("REQUEST_LOG") and not app.testing:
        _install_handlers(app)

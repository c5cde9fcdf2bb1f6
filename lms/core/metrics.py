"""Prometheus metrics at `/metrics` (prometheus_client), when METRICS_ENABLED is on.

- `lms_http_requests_total{endpoint, method, status}`: requests by route (the endpoint name, e.g.
  `progress.lesson`, never the raw path, so lesson keys and ids cannot blow up the series);
- `lms_http_request_duration_seconds{endpoint}`: a latency histogram;
- `lms_db_pool_checked_out`, `lms_db_pool_size`: connections in use and the pool's size, summed
  over the live workers.

Under gunicorn with several workers, set `PROMETHEUS_MULTIPROC_DIR` to an empty folder writable by
the workers (emptied at each start) and call `child_exit` from gunicorn's config: every worker then
writes its figures there and `/metrics` on any worker reports them all (see docs/operations.md).
METRICS_TOKEN, when set, is required as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from lms.core import requestlog
from lms.extensions import db

bp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "lms_http_requests",
    "HTTP requests by route (endpoint name) and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "lms_http_request_duration_seconds",
    "Time from the request's first hook to its response, by route (endpoint name).",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL_CHECKED_OUT = Gauge(
    "lms_db_pool_checked_out",
    "Database connections checked out of the SQLAlchemy pool (summed over live workers).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "lms_db_pool_size",
    "Connections the SQLAlchemy pool keeps (pool_size, summed over live workers; overflow not included).",
    multiprocess_mode="livesum",
)
UNMATCHED = "<unmatched>"  # a 404 for an address no route knows


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.route("/metrics")
def metrics() -> Response:
    """The figures in Prometheus' text format; 404 unless METRICS_ENABLED."""
    if not current_app.config.get("METRICS_ENABLED"):
        abort(404)
    if not _authorised():
        response = Response("unauthorised\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = Response(generate_latest(_registry()), headers={"Content-Type": CONTENT_TYPE_LATEST})
    response.cache_control.no_store = True
    return response


def _observe(response: Response) -> Response:
    if current_app.config.get("METRICS_ENABLED"):
        endpoint = request.endpoint or UNMATCHED
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        elapsed = requestlog.elapsed_seconds()
        if elapsed is not None:
            LATENCY.labels(endpoint).observe(elapsed)
    return response


def _watch_pool(engine: sa.Engine) -> None:
    pool = engine.pool
    size = getattr(pool, "size", None)

    def checked_out(*_: Any) -> None:
        POOL_CHECKED_OUT.inc()
        if callable(size):
            POOL_SIZE.set(size())  # set in the worker itself (a preloading master never checks out)

    def checked_in(*_: Any) -> None:
        POOL_CHECKED_OUT.dec()

    sa.event.listen(pool, "checkout", checked_out)
    sa.event.listen(pool, "checkin", checked_in)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook: drop a dead worker's live gauges (`child_exit = ...` in
    gunicorn.conf.py; see docs/operations.md)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def init_app(app: Flask) -> None:
    """Count every request (after the request log's hook started its clock) and watch the pool.
    The hooks are cheap when METRICS_ENABLED is off: one config look-up per request."""
    app.after_request(_observe)
    with app.app_context():
        for engine in db.engines.values():
            _watch_pool(engine)

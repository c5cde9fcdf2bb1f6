"""Prometheus metrics at /metrics: off by default, by route name and status, latency, the DB pool,
and one view over several worker processes (multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lms.extensions import db

LESSON = "/courses/tiny-course/lessons/l-one"


def _samples(client, **headers) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_on(app):
    app.config["METRICS_ENABLED"] = True
    return app


def test_metrics_are_off_unless_enabled(client):
    assert client.get("/metrics").status_code == 404


def test_requests_are_counted_by_route_name_and_status(client, auth, imported, make_user, metrics_on):
    make_user("anna")
    auth.login("anna")
    before = _samples(client)
    for _ in range(3):
        assert client.get(LESSON).status_code == 200
    assert client.get("/courses/tiny-course/lessons/no-such-lesson").status_code == 404
    assert client.get("/no/such/address-4711").status_code == 404
    after = _samples(client)

    def delta(name: str, **labels) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    lesson = {"endpoint": "content.lesson", "method": "GET"}
    assert delta("lms_http_requests_total", **lesson, status="200") == 3
    assert delta("lms_http_requests_total", **lesson, status="404") == 1
    assert delta("lms_http_requests_total", endpoint="<unmatched>", method="GET", status="404") == 1
    assert delta("lms_http_request_duration_seconds_count", endpoint="content.lesson") == 4
    assert delta("lms_http_request_duration_seconds_bucket", endpoint="content.lesson", le="+Inf") == 4
    assert delta("lms_http_request_duration_seconds_sum", endpoint="content.lesson") > 0
    labels = {value for (_name, pairs) in after for _key, value in pairs}
    assert not any("l-one" in value or "4711" in value for value in labels)  # never a raw path


def test_the_pool_gauges_follow_checked_out_connections(app, client, metrics_on):
    before = _samples(client)
    with db.engine.connect():
        during = _samples(client)
    after = _samples(client)
    assert _value(during, "lms_db_pool_checked_out") == _value(before, "lms_db_pool_checked_out") + 1
    assert _value(after, "lms_db_pool_checked_out") == _value(before, "lms_db_pool_checked_out")
    assert _value(during, "lms_db_pool_size") == db.engine.pool.size()


def test_a_token_guards_the_metrics_when_set(app, client, metrics_on):
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-scrape-token"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _samples(client, Authorization="Bearer s3cret-scrape-token")
    assert "Set-Cookie" not in client.get("/metrics").headers


WORKER = """
import sys
from lms import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "METRICS_ENABLED": True})
client = app.test_client()
for _ in range(int(sys.argv[1])):
    assert client.get("/healthz").status_code == 200
if sys.argv[2] == "scrape":
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_several_worker_processes_report_together(tmp_path: Path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    root = Path(__file__).resolve().parents[2]

    def worker(count: int, then: str) -> str:
        result = subprocess.run(  # nosec B603  # our interpreter, fixed code
            [sys.executable, "-c", WORKER, str(count), then],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            check=True,
        )
        return result.stdout

    worker(3, "exit")
    text = worker(4, "scrape")  # another process scrapes: it sees both
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    labels = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
    assert _value(samples, "lms_http_requests_total", **labels) == 7
    assert _value(samples, "lms_http_request_duration_seconds_count", endpoint="health.healthz") == 7

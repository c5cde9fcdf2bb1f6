"""One JSON line per request on `lms.requests`, with a request id that also reaches error logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from lms.core.requestlog import RequestIdFilter
from lms.extensions import db


def _lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "lms.requests"]


@pytest.fixture
def request_log(app, caplog):
    app.config["REQUEST_LOG"] = True
    caplog.set_level(logging.INFO, logger="lms.requests")
    return caplog


def test_each_request_writes_one_line_with_its_id(client, request_log):
    response = client.get("/login", headers={"X-Request-ID": "lb-4f2a.7:1"})
    assert response.headers["X-Request-ID"] == "lb-4f2a.7:1"
    [line] = _lines(request_log)
    assert {key: line[key] for key in ("request_id", "method", "path", "status", "user_id", "endpoint")} == {
        "request_id": "lb-4f2a.7:1",
        "method": "GET",
        "path": "/login",
        "status": 200,
        "user_id": None,
        "endpoint": "accounts.login",
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["logger"] == "lms.requests" and line["ts"].endswith("+00:00")


@pytest.mark.parametrize("sent", ["", "a" * 65, "two words", "<script>", "id\u0439", "a/b"])
def test_an_unsafe_request_id_is_replaced(client, request_log, sent):
    response = client.get("/login", headers={"X-Request-ID": sent})
    made = response.headers["X-Request-ID"]
    assert made != sent and len(made) == 32 and int(made, 16) >= 0
    assert _lines(request_log)[0]["request_id"] == made


def test_every_response_carries_a_fresh_id_without_the_log(app, client, caplog):
    caplog.set_level(logging.INFO, logger="lms.requests")
    first, second = client.get("/login"), client.get("/no-such-page")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert second.status_code == 404
    assert _lines(caplog) == []  # REQUEST_LOG is off in tests unless a test turns it on


def test_the_line_names_the_signed_in_user_and_the_final_status(client, auth, make_user, request_log):
    user = make_user("anna")
    auth.login("anna")
    request_log.clear()
    client.get("/account")
    client.get("/no-such-page")
    lines = _lines(request_log)
    assert [(line["path"], line["status"], line["user_id"]) for line in lines] == [
        ("/account", 200, user.id),
        ("/no-such-page", 404, user.id),
    ]


def test_a_token_in_the_path_is_not_logged(client, request_log):
    client.get("/password/set/secret-token-value-123")
    [line] = _lines(request_log)
    assert "secret-token-value-123" not in json.dumps(line)
    assert line["path"] == "/password/set/[redacted]"


def test_probes_are_left_out_unless_asked_for(app, client, request_log):
    client.get("/healthz")
    assert _lines(request_log) == []
    app.config["REQUEST_LOG_PROBES"] = True
    client.get("/healthz")
    assert [line["path"] for line in _lines(request_log)] == ["/healthz"]


@pytest.mark.own_app
def test_a_sql_error_is_logged_with_the_request_id(app, request_log):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page and a log record

    @app.route("/broken-query")
    def broken_query():
        db.session.execute(sa.text("SELECT * FROM no_such_table_here"))
        return "unreachable"

    response = app.test_client().get("/broken-query", headers={"X-Request-ID": "req-sql-1"})
    assert response.status_code == 500
    [error] = [r for r in request_log.records if r.name == "lms" and r.levelno == logging.ERROR]
    assert error.request_id == "req-sql-1"
    assert isinstance(error.exc_info[1], DBAPIError)
    assert "no_such_table_here" in str(error.exc_info[1])
    [line] = _lines(request_log)
    assert (line["request_id"], line["status"], line["path"]) == ("req-sql-1", 500, "/broken-query")


def test_the_filter_gives_any_record_the_request_id(app):
    record = logging.LogRecord("lms.anything", logging.WARNING, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"  # outside a request
    with app.test_request_context("/", headers={"X-Request-ID": "r-77"}):
        app.preprocess_request()
        record = logging.LogRecord("sqlalchemy.engine", logging.ERROR, __file__, 1, "boom", None, None)
        RequestIdFilter().filter(record)
    assert record.request_id == "r-77"


def test_production_config_logs_requests_and_keeps_metrics_off():
    env = {
        k: v for k, v in os.environ.items() if k not in ("REQUEST_LOG", "METRICS_ENABLED", "METRICS_TOKEN")
    }
    code = (
        "from lms.config import Config, TestingConfig as T; "
        "print(Config.REQUEST_LOG, Config.METRICS_ENABLED, T.REQUEST_LOG)"
    )
    result = subprocess.run(  # nosec B603  # our interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.split() == ["True", "False", "False"]

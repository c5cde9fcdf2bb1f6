"""`/healthz` and `/readyz` for the load balancer: open to anyone, no cookie, 503 with a reason."""

from __future__ import annotations

import pytest

from lms import create_app
from tests.statements import Statements


def test_healthz_answers_without_the_database(app, client):
    with Statements() as statements:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert statements.sql == []
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.no_store


def test_healthz_answers_when_the_database_is_gone(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite3"})
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_checks_the_database_and_the_storage(app, client, storage_backend):
    with Statements(only="SELECT|INSERT|UPDATE|DELETE") as statements:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert [sql.strip().upper() for sql in statements.sql] == ["SELECT 1"]
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_with_a_reason_when_the_database_is_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path}/no-such-folder/db.sqlite3"  # SQLite cannot open it
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(tmp_path / "up")})
    app.config["ASSET_DIR"] = str(tmp_path / "assets")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["failed"] == {"database": "OperationalError"}
    assert response.json["reason"] == "database unreachable (OperationalError)"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("storage_backend", ["s3"], indirect=True)
def test_readyz_is_503_when_the_bucket_is_unreachable(app, client, storage_backend):
    app.config["S3_BUCKET"] = "no-such-bucket-for-readyz"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert list(response.json["failed"]) == ["storage"]
    assert response.json["reason"].startswith("storage unreachable")


def test_readyz_is_503_when_the_local_folder_cannot_be_made(app, client, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config.update(STORAGE="local", UPLOAD_DIR=str(blocker / "uploads"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert list(response.json["failed"]) == ["storage"]


def test_probes_need_no_sign_in_and_refuse_writes(client):
    for path in ("/healthz", "/readyz"):
        assert client.get(path).status_code == 200, path
        # No CSRF check stands in the way (exempt), and a POST is simply not a probe.
        assert client.post(path).status_code == 405, path

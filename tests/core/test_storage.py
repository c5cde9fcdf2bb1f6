"""The storage interface behaves the same on a local folder and on a real S3 API (moto's server)."""

from __future__ import annotations

import pytest

from lms.core import storage


def test_put_get_open_list_and_delete(app, storage_backend):
    store = storage.attachments()
    assert list(store.keys()) == []
    store.put("ab12", b"%PDF-1.4 first", "application/pdf")
    store.put("cd34", b"second", "application/pdf")
    assert (store.get("ab12"), store.exists("ab12"), store.exists("zz99")) == (b"%PDF-1.4 first", True, False)
    with store.open("cd34") as file:
        assert file.read() == b"second"
    assert sorted(store.keys()) == ["ab12", "cd34"]
    store.put("ab12", b"replaced", "application/pdf")
    store.delete("ab12")
    store.delete("ab12")  # deleting what is gone is not an error
    assert sorted(store.keys()) == ["cd34"]
    with pytest.raises(storage.Missing):
        store.get("ab12")
    with pytest.raises(storage.Missing):
        store.open("ab12")


@pytest.mark.parametrize("key", ["", "../etc/passwd", "/abs", "a/../b", "a\\b", "a\x00b"])
def test_keys_cannot_leave_the_store(app, storage_backend, key):
    with pytest.raises(ValueError, match="bad storage key"):
        storage.attachments().put(key, b"x", "text/plain")


@pytest.mark.parametrize("storage_backend", ["s3"], indirect=True)
def test_the_s3_store_keeps_attachments_under_their_prefix(app, storage_backend):
    import boto3

    storage.attachments().put("ab12", b"data", "application/pdf")
    client = boto3.client("s3", endpoint_url=app.config["S3_ENDPOINT_URL"])
    listed = client.list_objects_v2(Bucket=app.config["S3_BUCKET"])
    assert [item["Key"] for item in listed["Contents"]] == ["attachments/ab12"]


@pytest.mark.parametrize("storage_backend", ["s3"], indirect=True)
def test_storage_migrate_copies_local_files_once(app, runner, tmp_path, storage_backend):
    app.config["UPLOAD_DIR"] = str(tmp_path / "old-uploads")
    local = storage.local_attachments(app)
    local.put("aa11", b"first file", "application/pdf")
    local.put("bb22", b"second file", "application/pdf")
    storage.attachments().put("bb22", b"second file", "application/pdf")  # a run stopped half-way

    first = runner.invoke(args=["lms", "storage", "migrate"])
    assert (first.exit_code, first.output) == (
        0,
        "1 file(s) copied, 1 already there\n0 course asset(s) copied, 0 already there\n",
    )
    again = runner.invoke(args=["lms", "storage", "migrate", "--remove-local"])
    assert (again.exit_code, again.output) == (
        0,
        "0 file(s) copied, 2 already there\n0 course asset(s) copied, 0 already there\n",
    )
    assert sorted(storage.attachments().keys()) == ["aa11", "bb22"]
    assert storage.attachments().get("aa11") == b"first file"
    assert list(local.keys()) == []


def test_storage_migrate_refuses_without_object_storage(app, runner):
    result = runner.invoke(args=["lms", "storage", "migrate"])
    assert result.exit_code == 1 and "STORAGE is not s3" in result.output

"""Where files live: a local folder (the default) or S3-compatible object storage, behind one small
interface, so every app node can serve every file and none needs a shared disk.

`STORAGE=local` (default) keeps attachments under `UPLOAD_DIR` as before. `STORAGE=s3` puts them in
`S3_BUCKET` (endpoint `S3_ENDPOINT_URL`, region `S3_REGION`, credentials from the usual AWS_*
environment variables), under the key prefix `attachments/`. The app streams downloads itself after
its own permission check; the bucket is never public and no presigned URL leaves the app.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app


class Missing(LookupError):
    """No object under that key."""


class Storage(Protocol):
    """Bytes by key. Keys are app-made (`[0-9a-f]` names), never user input."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO:
        """A readable file object (for `send_file`, which streams it); the caller closes it."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]: ...

    def ping(self) -> None:
        """Raise unless the store answers (for `/readyz`)."""
        ...


def _safe_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """Files in a folder; written to a temporary name first, so a crash leaves no half file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise Missing(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise Missing(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".part-"):
                yield path.relative_to(self.root).as_posix()

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"{self.root} is not writable")


class S3Storage:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, Yandex Object Storage, moto)."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None, region: str | None) -> None:
        import boto3  # only nodes configured for S3 load boto3 (half a second, 60 MB)

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1")

    def _key(self, key: str) -> str:
        return self.prefix + _safe_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def _object(self, key: str) -> dict:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise Missing(key) from None

    def get(self, key: str) -> bytes:
        body = self._object(key)["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def open(self, key: str) -> BinaryIO:
        return self._object(key)["Body"]  # botocore's StreamingBody: read() and close()

    def exists(self, key: str) -> bool:
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(key), MaxKeys=1)
        return any(item["Key"] == self._key(key) for item in listed.get("Contents", []))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def local_attachments(app: Flask) -> LocalStorage:
    """The attachments folder (UPLOAD_DIR, else instance/uploads): also the source of a migration."""
    return LocalStorage(Path(app.config.get("UPLOAD_DIR") or Path(app.instance_path) / "uploads"))


def build_attachments(app: Flask) -> Storage:
    """The configured attachment store of this app."""
    config = app.config
    if config.get("STORAGE", "local") == "s3":
        return S3Storage(
            config["S3_BUCKET"],
            "attachments/",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
        )
    return local_attachments(app)


def attachments() -> Storage:
    """The attachment store of the current app, built once per app (a boto3 client is reused)."""
    return _built("lms.storage", "UPLOAD_DIR", build_attachments)


def local_assets(app: Flask) -> LocalStorage:
    """The course asset folder (ASSET_DIR, else instance/assets): also the source of a migration."""
    return LocalStorage(Path(app.config.get("ASSET_DIR") or Path(app.instance_path) / "assets"))


def build_assets(app: Flask) -> Storage:
    """The configured course asset store: objects named by the SHA-256 of their bytes, under the
    key prefix `assets/` of the bucket (beside `attachments/`), or in ASSET_DIR."""
    config = app.config
    if config.get("STORAGE", "local") == "s3":
        return S3Storage(
            config["S3_BUCKET"],
            "assets/",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
        )
    return local_assets(app)


def assets() -> Storage:
    """The course asset store of the current app, built once per app."""
    return _built("lms.asset_storage", "ASSET_DIR", build_assets)


def _built(name: str, local_setting: str, build: Callable[[Flask], Storage]) -> Storage:
    """A store built once per app and configuration (tests switch backends on one app)."""
    key = (
        current_app.config.get("STORAGE", "local"),
        current_app.config.get(local_setting),
        current_app.config.get("S3_BUCKET"),
        current_app.config.get("S3_ENDPOINT_URL"),
    )
    cached = current_app.extensions.get(name)
    if cached is None or cached[0] != key:
        cached = (key, build(current_app._get_current_object()))  # type: ignore[attr-defined]
        current_app.extensions[name] = cached
    return cached[1]


def copy_missing(source: Storage, destination: Storage, *, remove_source: bool = False) -> tuple[int, int]:
    """Copy every object of `source` that `destination` lacks, checking each copy byte for byte;
    returns (copied, already there). Safe to run again, or after it was stopped half-way: what
    arrived is skipped, and a source file is removed (when asked) only once its copy is checked."""
    copied = present = 0
    for key in list(source.keys()):
        data = source.get(key)
        if destination.exists(key) and destination.get(key) == data:
            present += 1
        else:
            destination.put(key, data, "application/octet-stream")
            if destination.get(key) != data:
                raise OSError(f"the copy of {key} differs from the original")
            copied += 1
        if remove_source:
            source.delete(key)
    return copied, present

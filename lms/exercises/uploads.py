"""Attachment checks by content, not by name: magic bytes, Office containers, size, zip bombs."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

# Extensions authors may allow, and the file kind each one must really be.
KIND_BY_EXTENSION = {
    "pdf": "pdf",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "webp": "webp",
    "docx": "docx",
    "xlsx": "xlsx",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# An Office file expands a lot, but not like a zip bomb.
MAX_UNCOMPRESSED_RATIO = 100
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024


class UploadRejected(ValueError):
    """The file is refused; the message says why in words a candidate understands."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    kind: str
    content_type: str
    size: int


# Characters of a display name kept (the column holds 200).
MAX_FILENAME_LENGTH = 150


def safe_filename(name: str) -> str:
    """A display name without paths, control characters or anything a header could choke on."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        # Trim the stem, not the extension: the extension decides whether the file is accepted.
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip(" .")
    return name or "file"


def _office_kind(data: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if total > MAX_UNCOMPRESSED_BYTES or total > MAX_UNCOMPRESSED_RATIO * max(len(data), 1):
        raise UploadRejected("bomb", "the archive expands to an unreasonable size")
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRejected("macros", "files with macros are not accepted")
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def detect_kind(data: bytes) -> str | None:
    """What the bytes really are, among the kinds we accept; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def check_upload(filename: str, data: bytes, *, allowed: list[str], max_bytes: int) -> CheckedFile:
    """Accept a file only if its name, its real content and its size all fit the assignment."""
    name = safe_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed_kinds = {KIND_BY_EXTENSION[ext] for ext in allowed if ext in KIND_BY_EXTENSION}
    if extension not in KIND_BY_EXTENSION or KIND_BY_EXTENSION[extension] not in allowed_kinds:
        raise UploadRejected("type", "this type of file is not accepted for this assignment")
    if not data:
        raise UploadRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise UploadRejected("size", "the file is too large")
    kind = detect_kind(data)
    if kind != KIND_BY_EXTENSION[extension]:
        raise UploadRejected("content", "the file's content does not match its type")
    return CheckedFile(name, kind, CONTENT_TYPES[kind], len(data))

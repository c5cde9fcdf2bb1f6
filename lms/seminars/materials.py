"""Session materials (handouts, slides): checked by content, size-limited, kept in the app's
storage (lms/core/storage.py) and deleted with their row once the deletion is committed."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import secrets
import unicodedata
import zipfile
from functools import partial

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.audit.services import record
from lms.core import storage
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.core.transactions import undo_on_rollback
from lms.extensions import db
from lms.seminars.models import Seminar, SeminarSession, SessionMaterial

DEFAULT_MATERIAL_MAX_BYTES = 20 * 1024 * 1024
MATERIAL_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
    "jpeg": "image/jpeg",
}
EXTENSIONS = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
}
_OFFICE_FOLDERS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}


def safe_filename(name: str) -> str:
    """A display name without folders, control characters or quotes."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[-150:]


def material_kind(data: bytes) -> str | None:
    """What the bytes really are among the accepted kinds (by content, not by name)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        for folder, kind in _OFFICE_FOLDERS.items():
            if any(name.startswith(folder) for name in names):
                return kind
    return None


def max_material_bytes() -> int:
    """The upload limit (SEMINAR_MATERIAL_MAX_BYTES), a phone's download at the venue in mind."""
    return int(current_app.config.get("SEMINAR_MATERIAL_MAX_BYTES") or DEFAULT_MATERIAL_MAX_BYTES)


def add_material(
    seminar: Seminar, session: SeminarSession, *, title: str, filename: str, data: bytes
) -> SessionMaterial:
    """Store an uploaded handout (PDF, Office, image; size-limited) and list it under the session."""
    name = safe_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data:
        raise ValidationError("empty", _l("The file is empty."), field="file")
    if len(data) > max_material_bytes():
        raise ValidationError(
            "too_large",
            _l("The file is larger than %(size)s MB.", size=max_material_bytes() // (1024 * 1024)),
            field="file",
        )
    kind = material_kind(data)
    if extension not in EXTENSIONS or kind != EXTENSIONS[extension]:
        raise ValidationError(
            "file_type", _l("Upload a PDF, Word, Excel, PowerPoint, PNG or JPEG file."), field="file"
        )
    digest = hashlib.sha256(data).hexdigest()
    same = sa.select(SessionMaterial).where(
        SessionMaterial.session_id == session.id, SessionMaterial.sha256 == digest
    )
    existing = db.session.scalar(same)
    if existing is not None:
        return existing  # sent twice (a double submit, a second tab): one material
    stored = f"seminars/{secrets.token_hex(16)}"
    store = storage.attachments()
    # No orphan object if the row is not stored; registered before the write.
    undo_on_rollback(partial(store.delete, stored), f"seminar material {stored}")
    store.put(stored, data, MATERIAL_TYPES[kind])
    values = {
        "session_id": session.id,
        "title": ((title or "").strip() or name)[:300],
        "storage_key": stored,
        "filename": name,
        "size": len(data),
        "sha256": digest,
        "uploaded_at": utcnow(),
    }
    if not insert_or_ignore(SessionMaterial, values, ["session_id", "sha256"]):
        store.delete(stored)  # the other request stored the same file a moment ago
        return db.session.scalars(same).one()
    material = db.session.scalars(same).one()
    db.session.expire(session, ["materials"])
    record("seminar.material_add", target=seminar, details={"session": session.key, "file": name})
    return material


def material_type(material: SessionMaterial) -> str:
    """The Content-Type a download is sent with (from the checked extension)."""
    extension = material.filename.rsplit(".", 1)[-1].lower() if "." in material.filename else ""
    return MATERIAL_TYPES.get(EXTENSIONS.get(extension, ""), "application/octet-stream")


def delete_material(seminar: Seminar, material: SessionMaterial) -> None:
    """Delete a material; its stored file goes once the deletion is committed."""
    details = {"session": material.session.key, "file": material.filename}
    key = material.storage_key
    db.session.delete(material)
    db.session.flush()
    delete_after_commit(key)
    record("seminar.material_delete", target=seminar, details=details)


def delete_after_commit(key: str) -> None:
    """The stored file goes once the row's deletion is committed (a rollback keeps both)."""
    session = db.session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def delete(_session) -> None:
        sa.event.remove(session, "after_soft_rollback", forget)
        with app.app_context(), contextlib.suppress(storage.Missing):
            storage.attachments().delete(key)

    def forget(_session, _transaction) -> None:
        if sa.event.contains(session, "after_commit", delete):
            sa.event.remove(session, "after_commit", delete)
        sa.event.remove(session, "after_soft_rollback", forget)

    sa.event.listen(session, "after_commit", delete, once=True)
    sa.event.listen(session, "after_soft_rollback", forget)

"""Session materials: uploaded by managers through storage (type by content, size-limited),
downloaded by whoever may read the programme, gone with their row."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.core import storage
from lms.extensions import db
from lms.seminars.models import SessionMaterial
from tests.conftest import csrf_from

PDF = b"%PDF-1.4\n% a tiny test file\n"


def pptx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p/>")
    return buffer.getvalue()


@pytest.fixture
def uploads(app, tmp_path):
    app.config.update(STORAGE="local", UPLOAD_DIR=str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture
def manager(make_user, auth):
    make_user("admin", role="admin")
    auth.login("admin")


def upload(client, filename: str, data: bytes, title: str = "Слайды"):
    """Post the upload form as a browser does, encoded in memory (the test client would spool a
    large body to a temporary file it never closes)."""
    page = "/seminars/vybory/sessions/s1/edit"
    token = csrf_from(client.get(page).get_data(as_text=True))
    values = MultiDict({"csrf_token": token, "title": title})
    values.add("file", FileStorage(io.BytesIO(data), filename=filename))
    boundary, body = encode_multipart(values)
    response = client.post(
        "/seminars/vybory/sessions/s1/materials",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    db.session.rollback()
    return response


def test_a_manager_uploads_and_a_participant_downloads(client, auth, programme, uploads, manager, make_user):
    assert upload(client, "slides.pdf", PDF).status_code == 302
    assert upload(client, "deck.pptx", pptx(), title="Презентация").status_code == 302
    material = db.session.scalar(sa.select(SessionMaterial).where(SessionMaterial.filename == "slides.pdf"))
    assert (material.title, material.size) == ("Слайды", len(PDF))
    assert storage.attachments().get(material.storage_key) == PDF

    make_user("anna", region="77")
    auth.logout()
    auth.login("anna")
    page = client.get("/seminars/vybory").get_data(as_text=True)
    assert f"/seminars/vybory/materials/{material.id}" in page and "Презентация" in page
    response = client.get(f"/seminars/vybory/materials/{material.id}")
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert body == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert "filename=slides.pdf" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("notes.pdf", b"not a pdf at all", "Загрузите файл PDF"),
        ("script.exe", PDF, "Загрузите файл PDF"),
        ("empty.pdf", b"", "Файл пуст"),
    ],
)
def test_wrong_files_are_refused_on_the_field(client, programme, uploads, manager, filename, data, message):
    response = upload(client, filename, data)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionMaterial)) == 0
    assert not uploads.exists() or not any(uploads.rglob("*.*"))


def test_a_file_over_the_limit_is_refused(app, client, programme, uploads, manager):
    app.config["SEMINAR_MATERIAL_MAX_BYTES"] = 1024 * 1024
    response = upload(client, "big.pdf", PDF + b"0" * (1024 * 1024))

    assert response.status_code == 400
    assert "Файл больше 1 МБ" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionMaterial)) == 0


def test_a_candidate_not_invited_cannot_download(client, auth, programme, uploads, manager, make_user):
    upload(client, "slides.pdf", PDF)
    material = db.session.scalar(sa.select(SessionMaterial))
    make_user("boris", region="78")
    auth.logout()
    auth.login("boris")

    assert client.get(f"/seminars/vybory/materials/{material.id}").status_code == 404


def test_deleting_a_material_removes_its_file(client, programme, uploads, manager):
    upload(client, "slides.pdf", PDF)
    material = db.session.scalar(sa.select(SessionMaterial))
    key = material.storage_key
    token = csrf_from(client.get("/seminars/vybory/sessions/s1/edit").get_data(as_text=True))

    response = client.post(f"/seminars/vybory/materials/{material.id}/delete", data={"csrf_token": token})

    db.session.rollback()
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionMaterial)) == 0
    assert not storage.attachments().exists(key)


def test_the_same_file_sent_twice_is_one_material(client, programme, uploads, manager):
    assert upload(client, "slides.pdf", PDF).status_code == 302
    assert upload(client, "slides.pdf", PDF).status_code == 302

    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionMaterial)) == 1
    assert len([path for path in uploads.rglob("*") if path.is_file()]) == 1

"""Attachments on both stores, through the pages: a candidate's file is stored, served back to its
author and to staff only, and a submission refused after the write leaves no object behind."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.core import storage
from lms.exercises import services
from lms.exercises.models import Attachment
from lms.extensions import db
from tests.exercises.files import pdf

ASSIGNMENT = "/courses/ex-course/assignments/as-plan"


def send(auth, *, text: str, files: list[tuple[str, bytes]], action: str = "save"):
    values = MultiDict(
        [("csrf_token", auth.csrf(ASSIGNMENT)), ("text", text), (action, "1")]
        + [("files", FileStorage(io.BytesIO(data), filename=name)) for name, data in files]
    )
    boundary, body = encode_multipart(values)
    return auth.client.post(ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_attachment_round_trips_through_the_store(client, auth, imported, make_user, storage_backend):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    document = pdf() + b"% " + storage_backend.encode() + b"\n"
    assert send(auth, text="План", files=[("План встречи.pdf", document)]).status_code == 302
    (attachment,) = db.session.scalars(db.select(Attachment)).all()
    assert list(storage.attachments().keys()) == [attachment.stored_name]
    url = f"/submissions/{attachment.submission_id}/files/{attachment.id}"
    with client.get(url + "?download") as response:  # streamed: closing it closes the file or object
        assert response.status_code == 200 and response.data == document
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%D0%9F%D0%BB%D0%B0%D0%BD" in response.headers["Content-Disposition"]
    auth.logout()
    auth.login("boris")
    assert client.get(url).status_code == 404  # another candidate: not even told it exists


def test_an_object_written_by_a_transaction_that_rolls_back_is_removed(
    app, assignment_item, make_user, storage_backend
):
    user = make_user("anna")
    upload = services.Upload("plan.pdf", pdf())
    services.save_submission(user, assignment_item, text="", uploads=[upload], remove_ids=[], submit=False)
    assert len(list(storage.attachments().keys())) == 1  # written before the commit
    db.session.rollback()
    assert list(storage.attachments().keys()) == []

"""Uploaded files follow their transaction: a submission that is not stored leaves no file on
disk, and a removal that is not stored leaves the file in place (lms.core.transactions)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, request
from flask_login import current_user
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.content.models import Lesson
from lms.exercises import services
from lms.exercises.models import Attachment
from lms.extensions import db
from tests.exercises.files import pdf

ASSIGNMENT = "/courses/ex-course/assignments/as-plan"

pytestmark = pytest.mark.own_app  # every test here adds a probe blueprint to its app


def _probe_blueprint() -> Blueprint:
    """A view that saves a draft with one file, as the assignment page does, then fails after it."""
    probe = Blueprint("upload_probe", __name__, url_prefix="/_probe")

    @probe.route("/save-then-<ending>", methods=["POST"])
    def save_then(ending: str):
        item = db.session.scalar(sa.select(Lesson).where(Lesson.key == "as-plan"))
        remove = [int(value) for value in request.form.getlist("remove")]
        uploads = [services.Upload("late.pdf", pdf())] if request.form.get("upload") else []
        services.save_submission(
            current_user,
            item,
            text="Черновик",
            uploads=uploads,
            remove_ids=remove,
            submit=False,
        )
        if ending == "raise":
            raise RuntimeError("a bug after the files were written")
        return "refused after saving", 400

    return probe


@pytest.fixture
def app(app, tmp_path) -> Flask:
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    app.register_blueprint(_probe_blueprint())
    return app


def stored_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def attachments() -> list[Attachment]:
    db.session.rollback()  # a fresh snapshot: the requests wrote in their own sessions
    return list(db.session.scalars(sa.select(Attachment).order_by(Attachment.id)))


def save_draft(auth, files=(), remove=()):
    """The assignment form as a browser sends it (multipart), "save draft" pressed."""
    values = MultiDict({"csrf_token": auth.csrf(ASSIGNMENT), "text": "Черновик", "version": "", "save": "1"})
    for name, data in files:
        values.add("files", FileStorage(io.BytesIO(data), filename=name))
    for attachment_id in remove:
        values.add("remove", str(attachment_id))
    boundary, body = encode_multipart(values)
    return auth.client.post(ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_file_written_by_a_transaction_that_rolls_back_is_removed(app, assignment_item, make_user):
    user = make_user("anna")
    services.save_submission(
        user, assignment_item, text="", uploads=[services.Upload("plan.pdf", pdf())],
        remove_ids=[], submit=False
    )  # fmt: skip
    assert len(stored_files(app)) == 1  # written before the commit, as the row that names it
    db.session.rollback()
    assert stored_files(app) == []
    services.save_submission(
        user, assignment_item, text="", uploads=[services.Upload("plan.pdf", pdf())],
        remove_ids=[], submit=False
    )  # fmt: skip
    db.session.commit()
    db.session.rollback()  # nothing left to undo: the committed file stays
    assert stored_files(app) == [attachments()[0].stored_name]


def test_a_request_that_fails_after_saving_leaves_no_file(client, auth, app, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    token = auth.csrf(ASSIGNMENT)
    response = client.post("/_probe/save-then-refuse", data={"csrf_token": token, "upload": "1"})
    assert response.status_code == 400
    assert stored_files(app) == [] and attachments() == []
    with pytest.raises(RuntimeError):
        client.post("/_probe/save-then-raise", data={"csrf_token": token, "upload": "1"})
    assert stored_files(app) == [] and attachments() == []
    assert save_draft(auth, files=[("plan.pdf", pdf())]).status_code == 302  # the same, stored
    assert stored_files(app) == [attachments()[0].stored_name]


def test_a_removal_that_rolls_back_keeps_the_file(client, auth, app, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    assert save_draft(auth, files=[("plan.pdf", pdf())]).status_code == 302
    [kept] = attachments()
    token = auth.csrf(ASSIGNMENT)
    response = client.post("/_probe/save-then-refuse", data={"csrf_token": token, "remove": str(kept.id)})
    assert response.status_code == 400
    [attachment] = attachments()
    assert attachment.removed_at is None
    assert stored_files(app) == [kept.stored_name]
    # The page itself: a removal sent with a refused file changes nothing either.
    assert save_draft(auth, files=[("bad.pdf", b"not a pdf")], remove=[kept.id]).status_code == 400
    assert attachments()[0].removed_at is None and stored_files(app) == [kept.stored_name]

"""Refusals the assignment and grading pages branch on: their codes, their own messages, the
status each page answers with, and the claim a refused grade keeps."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.core.errors import ValidationError
from lms.exercises import services
from lms.exercises.models import Submission
from lms.extensions import db
from tests.teaching import teach

ASSIGNMENT = "/courses/ex-course/assignments/as-plan"
HIGH = {"structure": 4, "law": 3, "contact": 2}


def save(auth, *, version: str, submit: bool = False, text: str = "Мой план"):
    data = {"text": text, "version": version, "submit" if submit else "save": "1"}
    return auth.post(ASSIGNMENT, data, page=ASSIGNMENT)


def submission() -> Submission:
    db.session.rollback()  # a fresh snapshot: the requests wrote in their own sessions
    return db.session.scalar(sa.select(Submission))


def test_the_services_refuse_with_codes(app, assignment_item, make_user):
    user = make_user("anna")
    draft = services.save_submission(
        user, assignment_item, text="Мой план", uploads=[], remove_ids=[], submit=False
    )
    db.session.commit()
    with pytest.raises(ValidationError) as stale:
        services.save_submission(
            user, assignment_item, text="", uploads=[], remove_ids=[], submit=True,
            expected_version=draft.version - 1,
        )  # fmt: skip
    db.session.rollback()
    with pytest.raises(ValidationError) as not_in_review:
        services.grade_submission(
            draft, user, scores=HIGH, criterion_comments={}, comment="", decision="accept",
            expected_version=draft.version,
        )  # fmt: skip
    assert (stale.value.code, stale.value.field) == ("stale", None)
    assert (not_in_review.value.code, not_in_review.value.field) == ("not_in_review", None)


def test_the_assignment_page_says_stale_and_locked_apart(auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    assert save(auth, version="").status_code == 302
    version = submission().version
    response = save(auth, version=str(version - 1), text="Мой план из старой вкладки")
    assert response.status_code == 400
    assert "Работа была изменена в другой вкладке." in response.get_data(as_text=True)
    assert save(auth, version=str(version), submit=True).status_code == 302
    response = save(auth, version=str(submission().version))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Работа на проверке, сейчас её нельзя изменить." in html
    assert "другой вкладке" not in html


def test_a_stale_grade_is_a_409_with_its_message_and_the_claim_stays(auth, assignment_item, make_user):
    make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("anna")
    assert save(auth, version="", submit=True).status_code == 302
    auth.logout()
    auth.login("igor")
    submitted = submission()
    page = f"/review/submissions/{submitted.id}"
    data = {"version": str(submitted.version - 1), "decision": "accept", "comment": ""}
    data.update({f"score-{key}": str(points) for key, points in HIGH.items()})
    response = auth.post(page, data, page="/review")
    assert response.status_code == 409
    assert "Пока вы проверяли эту работу, её изменил другой проверяющий." in response.get_data(as_text=True)
    graded = submission()
    assert graded.status == "in_review" and graded.reviewer.username == "igor"  # kept despite the 409

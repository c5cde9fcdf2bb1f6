"""Audit records of grading: claim, take-over, return, accept and a reviewed conversation.

The services record them (the routes may change method; the records must not move), so claims
and take-overs are driven through the services, grades and conversation reviews through the forms.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.core.errors import ValidationError
from lms.exercises import services
from lms.exercises.models import Playthrough, Submission
from lms.extensions import db
from tests.audit.helpers import events
from tests.teaching import teach

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "exercises"
SCENARIO = "/courses/ex-course/scenarios/sc-door"
HIGH = {"structure": 4, "law": 3, "contact": 2}
LOW = {"structure": 2, "law": 0, "contact": 1}


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


@pytest.fixture
def item(imported) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "as-plan"))


@pytest.fixture
def people(make_user, imported):
    people = make_user("anna"), make_user("igor", role="instructor"), make_user("olga", role="instructor")
    teach("igor")
    teach("olga")
    return people


@pytest.fixture
def submission(app, item, people, tmp_path) -> Submission:
    anna = people[0]
    submitted = services.save_submission(
        anna, item, text="План встречи", uploads=[], remove_ids=[], submit=True
    )
    db.session.commit()
    return submitted


def grading_events() -> list:
    return [event for event in events() if event.action.startswith("grading.")]


def work(item) -> dict:
    return {"candidate": "anna", "course": "ex-course", "item": "as-plan", "title": item.title}


def claim(submission_id: int, username: str) -> None:
    """Take the submission for review as the grading page's button does (through the service: the
    page's route and method are another engineer's)."""
    from lms.accounts.models import User

    db.session.rollback()
    reviewer = db.session.scalar(sa.select(User).where(User.username == username))
    assert services.claim_submission(db.session.get(Submission, submission_id), reviewer).claimed
    db.session.commit()


def test_taking_a_submission_is_recorded_once(item, people, submission):
    anna, igor, _olga = people
    claim(submission.id, "igor")
    claim(submission.id, "igor")  # already his: the claim is renewed, nothing new to record
    (event,) = grading_events()
    assert event.action == "grading.claim"
    assert (event.actor_id, event.actor_name) == (igor.id, "igor")
    assert (event.target_type, event.target_id, event.target_label) == ("user", str(anna.id), "anna")
    assert event.details == {**work(item), "submission": submission.id}


def test_taking_over_names_the_previous_reviewer(item, people, submission):
    _anna, igor, olga = people
    assert services.claim_submission(submission, igor).claimed
    db.session.commit()
    refused = services.claim_submission(submission, olga)  # held by igor: nothing changes
    db.session.commit()
    assert not refused.claimed and [e.action for e in grading_events()] == ["grading.claim"]
    assert services.claim_submission(submission, olga, take_over=True).claimed
    db.session.commit()
    _claim, take_over = grading_events()
    assert (take_over.action, take_over.actor_name, take_over.target_label) == (
        "grading.take_over",
        "olga",
        "anna",
    )
    assert take_over.details == {**work(item), "submission": submission.id, "previous_reviewer": "igor"}


def grade_form(auth, submission_id: int, version: int, decision: str, scores: dict, comment: str = ""):
    data = {"version": str(version), "decision": decision, "comment": comment}
    data.update({f"score-{key}": str(points) for key, points in scores.items()})
    return auth.post(f"/review/submissions/{submission_id}", data, page="/review")


def current_version(submission_id: int) -> int:
    db.session.rollback()
    return db.session.get(Submission, submission_id).version


def test_returning_and_accepting_record_the_points(client, auth, item, people, submission, tmp_path):
    anna, _igor, _olga = people
    claim(submission.id, "igor")
    auth.login("igor")
    response = grade_form(
        auth, submission.id, current_version(submission.id), "return", LOW, "Добавьте место."
    )
    assert response.status_code == 302
    _claim, returned = grading_events()
    assert (returned.action, returned.actor_name, returned.target_id) == (
        "grading.return",
        "igor",
        str(anna.id),
    )
    assert returned.details == {**work(item), "submission": submission.id, "points": 3, "max_points": 9}

    db.session.rollback()
    services.save_submission(
        db.session.get(type(anna), anna.id),
        db.session.get(Lesson, item.id),
        text="План встречи с местом",
        uploads=[],
        remove_ids=[],
        submit=True,
        expected_version=current_version(submission.id),
    )
    db.session.commit()
    claim(submission.id, "igor")
    response = grade_form(auth, submission.id, current_version(submission.id), "accept", HIGH, "Отлично.")
    assert response.status_code == 302
    actions = [event.action for event in grading_events()]
    assert actions == ["grading.claim", "grading.return", "grading.claim", "grading.accept"]
    accepted = grading_events()[-1]
    assert accepted.details == {**work(item), "submission": submission.id, "points": 9, "max_points": 9}


def test_a_refused_grade_records_nothing(client, auth, item, people, submission):
    claim(submission.id, "igor")
    auth.login("igor")
    version = current_version(submission.id)
    assert grade_form(auth, submission.id, version, "accept", LOW).status_code == 400  # below the pass mark
    assert grade_form(auth, submission.id, version - 1, "accept", HIGH).status_code == 409  # stale form
    assert [event.action for event in grading_events()] == ["grading.claim"]
    with pytest.raises(ValidationError):
        services.grade_submission(
            db.session.get(Submission, submission.id),
            people[1],
            scores=HIGH,
            criterion_comments={},
            comment="",
            decision="maybe",
            expected_version=current_version(submission.id),
        )
    db.session.rollback()
    assert [event.action for event in grading_events()] == ["grading.claim"]


def test_reviewing_a_conversation_is_recorded(client, auth, people, imported):
    anna, igor, _olga = people
    auth.login("anna")
    url = auth.post(SCENARIO + "/start", page=SCENARIO).headers["Location"]
    for step, (reply, text) in enumerate([(2, "Здравствуйте, удобно говорить?"), (0, None), (1, None)]):
        data = {"step": str(step), "reply": str(reply), **({"free_text": text} if text else {})}
        assert auth.post(url, data, page=SCENARIO).status_code == 302
    auth.logout()
    db.session.rollback()
    playthrough = db.session.scalar(sa.select(Playthrough))
    auth.login("igor")
    review = f"/review/playthroughs/{playthrough.id}"
    assert auth.post(review, {"comment": "Хорошо."}, page=review).status_code == 302
    (event,) = grading_events()
    assert event.action == "grading.review_playthrough"
    assert (event.actor_id, event.target_id, event.target_label) == (igor.id, str(anna.id), "anna")
    assert event.details == {
        "candidate": "anna",
        "course": "ex-course",
        "item": "sc-door",
        "title": playthrough.item.title,
        "playthrough": playthrough.id,
        "passed": bool(playthrough.passed),
    }

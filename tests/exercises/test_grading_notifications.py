"""Grading notifies the candidate: returned (with the instructor's comment) or accepted, once each."""

from __future__ import annotations

import sqlalchemy as sa

from lms.exercises.models import Submission
from lms.extensions import db
from lms.notifications.models import Notification
from tests.exercises.test_views import ASSIGNMENT, claim, fresh, grade_form, submit_work
from tests.teaching import teach

LOW = {"structure": 2, "law": 0, "contact": 1}
HIGH = {"structure": 4, "law": 3, "contact": 2}


def notifications() -> list[Notification]:
    fresh()
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_return_and_accept_each_notify_the_candidate_once(client, auth, assignment_item, make_user):
    anna = make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("anna")
    assert submit_work(auth, text="## План").status_code == 302
    assert notifications() == []  # submitting tells the candidate nothing
    auth.logout()

    auth.login("igor")
    submission = db.session.scalar(sa.select(Submission))
    claim(auth, submission.id)
    fresh()
    version = db.session.get(Submission, submission.id).version
    assert grade_form(auth, submission.id, version, "return", LOW, "Добавьте место.").status_code == 302
    (returned,) = notifications()
    assert (returned.user_id, returned.kind, returned.link) == (anna.id, "submission_returned", ASSIGNMENT)
    assert returned.params == {
        "item": assignment_item.title,
        "course": "Практика работы с избирателями",
        "comment": "Добавьте место.",
    }
    auth.logout()

    auth.login("anna")
    html = client.get("/notifications/").get_data(as_text=True)
    assert (
        f"Ваша работа «{assignment_item.title}» возвращена на доработку." in html
        and "Добавьте место." in html
    )
    fresh()
    version = db.session.get(Submission, submission.id).version
    assert submit_work(auth, text="## План 2", version=str(version)).status_code == 302
    auth.logout()

    auth.login("igor")
    claim(auth, submission.id)
    fresh()
    version = db.session.get(Submission, submission.id).version
    assert grade_form(auth, submission.id, version, "accept", HIGH, "Отлично.").status_code == 302
    assert [n.kind for n in notifications()] == ["submission_returned", "submission_accepted"]
    accepted = notifications()[1]
    assert accepted.params == {"item": assignment_item.title, "course": "Практика работы с избирателями"}


def test_a_refused_grade_notifies_nobody(client, auth, assignment_item, make_user):
    make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("anna")
    submit_work(auth, text="## План")
    auth.logout()
    auth.login("igor")
    submission = db.session.scalar(sa.select(Submission))
    claim(auth, submission.id)
    fresh()
    version = db.session.get(Submission, submission.id).version
    assert grade_form(auth, submission.id, version, "accept", LOW).status_code == 400  # below the pass mark
    assert notifications() == []

"""One candidate's assignment open in two tabs: a save from the older page never overwrites
what the other tab saved, even when neither page had any work on it yet."""

from __future__ import annotations

import sqlalchemy as sa

from lms.exercises.models import ReviewEvent, Submission
from lms.extensions import db
from tests.security.browsers import ASSIGNMENT, page_token, signed_in_client


def save_draft(browser, token: str, text: str, version: str = "", *, submit: bool = False):
    data = {"csrf_token": token, "text": text, "version": version, "submit" if submit else "save": "1"}
    return browser.post(ASSIGNMENT, data=data)


def stored_text() -> str:
    db.session.rollback()  # see what the requests committed
    return db.session.scalars(sa.select(Submission.text_md)).one()


def test_a_first_save_from_a_second_tab_does_not_overwrite_the_first(app, assignment_item, make_user):
    make_user("anna")
    first, second = signed_in_client(app, "anna"), signed_in_client(app, "anna")
    first_token, second_token = page_token(first, ASSIGNMENT), page_token(second, ASSIGNMENT)
    assert save_draft(first, first_token, "План из первой вкладки").status_code == 302
    response = save_draft(second, second_token, "План из второй вкладки")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Работа была изменена в другой вкладке." in html
    assert "План из второй вкладки" in html  # the second tab's text comes back to be saved knowingly
    assert stored_text() == "План из первой вкладки"


def test_the_same_first_save_sent_twice_is_saved_once_without_a_refusal(app, assignment_item, make_user):
    make_user("anna")
    browser = signed_in_client(app, "anna")
    token = page_token(browser, ASSIGNMENT)
    assert save_draft(browser, token, "Мой план").status_code == 302
    assert save_draft(browser, token, "Мой план").status_code == 302  # a double click's second request
    db.session.rollback()
    assert db.session.scalars(sa.select(Submission.version)).one() == 2


def test_a_double_clicked_submit_is_one_submit_and_both_replies_say_so(app, assignment_item, make_user):
    make_user("anna")
    browser = signed_in_client(app, "anna")
    token = page_token(browser, ASSIGNMENT)
    for _click in range(2):  # the browser shows the second reply: it must not say the submit failed
        response = save_draft(browser, token, "Мой план", submit=True)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.rollback()
    submission = db.session.scalars(sa.select(Submission)).one()
    assert (submission.status, submission.version) == ("submitted", 2)
    events = db.session.scalars(
        sa.select(ReviewEvent.action).where(ReviewEvent.submission_id == submission.id)
    )
    assert list(events) == ["submitted"]
    # Another text from the same old page is a change, and work under review takes none.
    response = save_draft(browser, token, "Другой план", submit=True)
    assert response.status_code == 400
    assert "Работа на проверке" in response.get_data(as_text=True)
    assert stored_text() == "Мой план"

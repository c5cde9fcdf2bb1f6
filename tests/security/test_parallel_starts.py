"""Many "Start" clicks at once (two tabs, an impatient double click, a flaky network retrying)
land on one attempt or playthrough: never a second open one, never an error page."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.core.db import insert_or_ignore
from lms.exercises.models import Playthrough
from lms.extensions import db
from lms.quizzes.models import Attempt
from lms.quizzes.services import start_attempt
from tests.security.browsers import QUIZ, SCENARIO, page_token, signed_in_client

PARALLEL = 8


def start_all_at_once(app, username: str, page: str, start_path: str) -> list[tuple[int, str]]:
    """Sign in PARALLEL browsers as one user, then press Start in all of them at the same moment;
    (status, Location) of each answer, or (500, error) if the request raised."""
    browsers = [signed_in_client(app, username) for _ in range(PARALLEL)]
    tokens = [page_token(browser, page) for browser in browsers]
    barrier = threading.Barrier(PARALLEL)
    answers: list[tuple[int, str]] = []

    def press(browser, token) -> None:
        barrier.wait()
        try:
            response = browser.post(start_path, data={"csrf_token": token})
            answers.append((response.status_code, response.headers.get("Location", "")))
        except Exception as error:  # a propagated exception is what a user sees as a 500
            answers.append((500, repr(error)))

    threads = [threading.Thread(target=press, args=pair) for pair in zip(browsers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.parametrize(
    ("page", "model", "owner"),
    [(QUIZ, Attempt, Attempt.user_id), (SCENARIO, Playthrough, Playthrough.user_id)],
    ids=["quiz", "scenario"],
)
def test_parallel_starts_open_one_and_every_click_lands_on_it(app, imported, make_user, page, model, owner):
    anna = make_user("anna")
    answers = start_all_at_once(app, "anna", page, page + "/start")
    assert len(answers) == PARALLEL
    assert {status for status, _ in answers} == {302}, answers
    locations = {location for _, location in answers}
    db.session.rollback()
    rows = db.session.scalars(sa.select(model).where(owner == anna.id)).all()
    assert len(rows) == 1
    assert len(locations) == 1 and locations.pop().endswith(f"/{rows[0].id}")


def test_ignoring_any_conflict_covers_the_partial_one_open_index(app, imported, make_user):
    """What the fix relies on, on each database: no conflict target = every unique index."""
    anna = make_user("anna")
    quiz = db.session.scalar(sa.select(Lesson).where(Lesson.key == "q-all"))
    first = start_attempt(anna, quiz)
    db.session.commit()
    values = {
        column: getattr(first, column)
        for column in ("user_id", "quiz_id", "quiz_hash", "policy", "layout", "started_at", "max_score")
    }
    values.update(number=first.number + 1, closed_by_deadline=False)  # a new number, still open
    assert insert_or_ignore(Attempt, values, None) is False
    # What a named target did: the clash with the other index is an error.
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        insert_or_ignore(Attempt, values, ["user_id", "quiz_id", "number"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1

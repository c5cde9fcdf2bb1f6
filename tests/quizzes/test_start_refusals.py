"""Starting a quiz that may not be started: the refusal's code, and its own message on the page."""

from __future__ import annotations

import pytest

from lms.core.errors import ValidationError
from lms.extensions import db
from lms.quizzes import services

OVERVIEW = "/courses/quiz-course/quizzes/q-all"


def _use_up_attempts(user, quiz) -> None:
    for _ in range(quiz.payload["policy"]["attempts"]):
        services.submit_attempt(services.start_attempt(user, quiz), {})
    db.session.commit()


def test_no_attempts_left_is_refused_with_its_code(quiz, make_user):
    user = make_user("anna")
    _use_up_attempts(user, quiz)
    with pytest.raises(ValidationError) as refused:
        services.start_attempt(user, quiz)
    assert refused.value.code == "no_attempts_left" and refused.value.field is None


def test_the_start_button_says_no_attempts_are_left(client, auth, quiz, make_user):
    user = make_user("anna")
    _use_up_attempts(user, quiz)
    auth.login("anna")
    response = auth.post(OVERVIEW + "/start", page=OVERVIEW)
    assert response.status_code == 302 and response.headers["Location"] == OVERVIEW
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert "У вас не осталось попыток для этого теста." in html
    assert "Попробуйте ещё раз" not in html

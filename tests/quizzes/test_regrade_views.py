"""The regrade notice on the item analysis page and its explicit, staff-only regrade action."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Attempt, RegradeFlag
from tests.quizzes.conftest import full_form
from tests.teaching import teach

OVERVIEW = "/courses/quiz-course/quizzes/q-all"
ANALYSIS = OVERVIEW + "/analysis"
REGRADE = OVERVIEW + "/regrade"
QUIZ_FILE = "quiz-course/01-osnovy/02-proverka.md"


def _answered_then_key_changed(courses_dir, quiz, candidate) -> tuple[int, float]:
    """A submitted attempt (its id and score), then a publish that flips one question's key."""
    attempt = services.start_attempt(candidate, quiz)
    services.submit_attempt(attempt, full_form(quiz, attempt, right=True))
    db.session.commit()
    kept = (attempt.id, attempt.score)
    path = courses_dir / QUIZ_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("= неверно", "= верно"), encoding="utf-8")
    sync_tree(courses_dir)
    db.session.commit()
    return kept


def _score(attempt_id: int) -> float:
    db.session.rollback()
    return db.session.get(Attempt, attempt_id).score


def test_staff_see_the_notice_and_regrade(client, auth, quiz, courses_dir, make_user):
    attempt_id, score = _answered_then_key_changed(courses_dir, quiz, make_user("anna"))
    make_user("igor", role="instructor")
    teach("igor", "quiz-course")
    auth.login("igor")
    html = client.get(ANALYSIS).get_data(as_text=True)
    assert 'id="regrade-notice"' in html and 'data-regrade="anonim"' in html
    assert f'action="{REGRADE}"' in html
    assert _score(attempt_id) == score  # showing the notice changed nothing

    response = auth.post(REGRADE, page=ANALYSIS)
    assert response.status_code == 302 and response.headers["Location"].endswith(ANALYSIS)
    assert _score(attempt_id) == score - 1
    assert db.session.scalar(sa.select(RegradeFlag.resolved_by_id)) is not None
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "quiz.regrade"))
    assert 'id="regrade-notice"' not in client.get(ANALYSIS).get_data(as_text=True)


def test_regrade_needs_a_post_with_csrf(client, auth, quiz, courses_dir, make_user):
    attempt_id, score = _answered_then_key_changed(courses_dir, quiz, make_user("anna"))
    make_user("root", role="admin")
    auth.login("root")
    assert client.get(REGRADE).status_code == 405
    assert client.post(REGRADE).status_code == 400  # no CSRF token
    assert _score(attempt_id) == score


def test_who_may_regrade(client, auth, quiz, courses_dir, make_user):
    attempt_id, score = _answered_then_key_changed(courses_dir, quiz, make_user("anna"))
    make_user("igor", role="instructor")
    make_user("koord", role="coordinator")
    auth.login("anna")
    assert auth.post(REGRADE, page=OVERVIEW).status_code == 403
    auth.logout()
    auth.login("igor")  # an instructor who does not teach the course
    assert auth.post(REGRADE, page=OVERVIEW).status_code == 403
    auth.logout()
    auth.login("koord")  # coordinators read the analysis and its notice, they do not regrade
    html = client.get(ANALYSIS).get_data(as_text=True)
    assert 'data-regrade="anonim"' in html and f'action="{REGRADE}"' not in html
    assert auth.post(REGRADE, page=OVERVIEW).status_code == 403
    assert _score(attempt_id) == score
    assert db.session.scalar(sa.select(RegradeFlag.resolved_at)) is None


def test_admin_regrades_any_course_and_the_result_shows_the_new_key(
    client, auth, quiz, courses_dir, make_user
):
    attempt_id, score = _answered_then_key_changed(courses_dir, quiz, make_user("anna"))
    result = f"/quiz-attempts/{attempt_id}/result"

    def anonim_block() -> str:
        html = client.get(result).get_data(as_text=True)
        return html[html.index("Анонимные пожертвования") :][:600]

    auth.login("anna")
    assert re.search(r"Ваш ответ:\s*Неверно;\s*правильный ответ:\s*Неверно", anonim_block())
    auth.logout()
    make_user("root", role="admin")
    auth.login("root")
    assert auth.post(REGRADE, page=ANALYSIS).status_code == 302
    assert _score(attempt_id) == score - 1
    auth.logout()
    auth.login("anna")
    assert re.search(r"Ваш ответ:\s*Неверно;\s*правильный ответ:\s*Верно", anonim_block())

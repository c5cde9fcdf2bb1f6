"""The quiz start, attempt and result pages read in one statement and cache what is the same for
everybody; these tests pin the statements, and check that nothing personal is ever shared through
the cached fragments and that changed content shows at once."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.content.sync import sync_tree
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.quizzes import services
from lms.quizzes.display import encode_matching, question_for_display
from lms.quizzes.models import Attempt
from tests.quizzes.conftest import full_form
from tests.statements import Statements

OVERVIEW = "/courses/quiz-course/quizzes/q-all"
QUIZ_FILE = Path("quiz-course/01-osnovy/02-proverka.md")


def _attempt(attempt_id: int) -> Attempt:
    db.session.rollback()  # a fresh snapshot: requests wrote in their own sessions
    return db.session.get(Attempt, attempt_id)


def _start(auth) -> int:
    response = auth.post(OVERVIEW + "/start", page=OVERVIEW)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/quiz-attempts/(\d+)$", response.headers["Location"]).group(1))


def _post(auth, path: str, form: dict[str, list[str]]):
    data = MultiDict([(key, value) for key, values in form.items() for value in values])
    data.add("csrf_token", auth.csrf(OVERVIEW))
    return auth.client.post(path, data=data)


def _save(auth, attempt_id: int, form: dict[str, list[str]]) -> None:
    response = _post(auth, f"/quiz-attempts/{attempt_id}/save", form)
    assert response.status_code == 302


def _as_served_by(attempt_id: int, model_id: int) -> None:
    """Serve an attempt exactly as another (same questions, order and options), so both pages
    use the same cached fragments."""
    layout = _attempt(model_id).layout
    db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id).values(layout=layout))
    db.session.commit()


def _fieldsets(app, attempt_id: int) -> list[str]:
    """Each question of an attempt as the macro renders it when given the saved answer itself
    (the page before fragments): what the page must still show."""
    attempt = _attempt(attempt_id)
    responses = services.saved_responses(attempt)
    expected = []
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("quizzes/_question.html").module.question_fields
        for number, (item, question) in enumerate(services.attempt_questions(attempt), start=1):
            response = responses.get(item["key"])
            if question["type"] == "matching":
                response = encode_matching(item, response)
            expected.append(str(macro(question_for_display(item, question), response, number)))
    return expected


# --- Statements ----------------------------------------------------------------------------------


def test_a_repeat_visit_to_the_start_page_is_one_select(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get(OVERVIEW).status_code == 200  # the first visit records it
    with Statements() as statements:
        assert client.get(OVERVIEW).status_code == 200
    assert statements.verbs == ["SELECT"], statements.sql


def test_a_first_visit_to_the_start_page_writes_in_one_transaction(client, auth, quiz, make_user):
    user_id = make_user("anna").id
    auth.login("anna")
    with Statements() as statements:
        assert client.get(OVERVIEW).status_code == 200
    writes = [index for index, verb in enumerate(statements.verbs) if verb in ("INSERT", "UPDATE")]
    assert writes
    if db.engine.dialect.name == "sqlite":
        begins = [index for index, sql in enumerate(statements.sql) if sql.upper() == "BEGIN IMMEDIATE"]
        assert len(begins) == 1 and begins[0] < writes[0], statements.sql
    db.session.rollback()
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user_id))
    assert enrolment.last_lesson_id == quiz.id and enrolment.last_activity_at is not None
    viewed = sa.select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == quiz.id
    )
    assert db.session.scalar(viewed).first_viewed_at is not None


def test_the_attempt_and_its_result_read_in_one_statement(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth)
    page = f"/quiz-attempts/{attempt_id}"
    _save(auth, attempt_id, full_form(quiz, _attempt(attempt_id), right=True))
    client.get(page)  # renders the questions' fragments
    with Statements() as statements:
        assert client.get(page).status_code == 200
    assert statements.verbs == ["SELECT"], statements.sql

    _post(auth, page + "/submit", {"confirm": ["saved"]})
    client.get(page + "/result")
    with Statements() as statements:
        assert client.get(page + "/result").status_code == 200
    # The answers and explanations are cached by what they show: a reload reads the page alone.
    assert statements.verbs == ["SELECT"], statements.sql


# --- Nothing personal is shared through the fragments ---------------------------------------------


def test_each_candidate_sees_their_own_saved_answers_in_cached_questions(app, client, auth, quiz, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    anna_attempt = _start(auth)
    _save(auth, anna_attempt, full_form(quiz, _attempt(anna_attempt), right=True))
    anna_page = client.get(f"/quiz-attempts/{anna_attempt}").get_data(as_text=True)
    auth.logout()
    auth.login("boris")
    boris_attempt = _start(auth)
    _as_served_by(boris_attempt, anna_attempt)  # the same fragments as anna's page
    _save(auth, boris_attempt, full_form(quiz, _attempt(boris_attempt), right=False))
    boris_page = client.get(f"/quiz-attempts/{boris_attempt}").get_data(as_text=True)

    for fieldset in _fieldsets(app, anna_attempt):
        assert fieldset in anna_page and fieldset not in boris_page
    for fieldset in _fieldsets(app, boris_attempt):
        assert fieldset in boris_page and fieldset not in anna_page
    short = next(q for q in quiz.payload["questions"] if q["type"] == "short")
    typed = full_form(quiz, _attempt(anna_attempt), right=True)[f"q-{short['key']}"][0].strip()
    assert f'value="{typed}"' in anna_page and typed not in boris_page

    auth.logout()
    auth.login("anna")  # and back: anna's answers, not boris's, on the same fragments
    html = client.get(f"/quiz-attempts/{anna_attempt}").get_data(as_text=True)
    assert all(fieldset in html for fieldset in _fieldsets(app, anna_attempt))
    assert not any(fieldset in html for fieldset in _fieldsets(app, boris_attempt))


def test_an_unanswered_attempt_shows_no_one_elses_answers(app, client, auth, quiz, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    anna_attempt = _start(auth)
    _save(auth, anna_attempt, full_form(quiz, _attempt(anna_attempt), right=True))
    client.get(f"/quiz-attempts/{anna_attempt}")
    auth.logout()
    auth.login("boris")
    boris_attempt = _start(auth)
    _as_served_by(boris_attempt, anna_attempt)
    html = client.get(f"/quiz-attempts/{boris_attempt}").get_data(as_text=True)
    assert " checked" not in html and " selected" not in html
    for fieldset in _fieldsets(app, boris_attempt):
        assert fieldset in html


def test_each_reader_sees_their_own_attempts_on_the_start_page(client, auth, quiz, make_user):
    make_user("anna")
    make_user("boris")
    make_user("igor", role="instructor")
    auth.login("anna")
    attempt_id = _start(auth)
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert f"/quiz-attempts/{attempt_id}" in html and "Осталось попыток: 1" in html
    auth.logout()
    auth.login("boris")
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert "/quiz-attempts/" not in html and "Осталось попыток: 2" in html
    assert f'action="{OVERVIEW}/start"' in html
    auth.logout()
    auth.login("igor")
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert "/quiz-attempts/" not in html and "Осталось попыток" not in html and "/start" not in html


def test_each_candidate_sees_their_own_result(client, auth, quiz, make_user):
    make_user("anna")
    make_user("boris")
    scores = {}
    for name, right in (("anna", True), ("boris", False)):
        auth.login(name)
        attempt_id = _start(auth)
        _post(auth, f"/quiz-attempts/{attempt_id}/submit", full_form(quiz, _attempt(attempt_id), right=right))
        scores[name] = client.get(f"/quiz-attempts/{attempt_id}/result").get_data(as_text=True)
        auth.logout()
    assert "(100\u00a0%)" in scores["anna"] and "(0\u00a0%)" not in scores["anna"]
    assert "(0\u00a0%)" in scores["boris"] and "(100\u00a0%)" not in scores["boris"]


def test_each_candidate_sees_their_own_answers_among_the_cached_explanations(client, auth, quiz, make_user):
    """The answered questions are cached by their answer and credit: anna's right answers, drawn
    first, are never shown to boris, who answered every question wrong, nor his to a third reader
    who answers right again (and is served anna's entries, the same answers)."""
    questions = len(quiz.payload["questions"])
    pages = {}
    readers = (("anna", True), ("boris", False), ("vera", True))
    for name, _right in readers:
        make_user(name)
    for name, right in readers:
        auth.login(name)
        attempt_id = _start(auth)
        _post(auth, f"/quiz-attempts/{attempt_id}/submit", full_form(quiz, _attempt(attempt_id), right=right))
        pages[name] = client.get(f"/quiz-attempts/{attempt_id}/result").get_data(as_text=True)
        auth.logout()
    for name in ("anna", "vera"):
        assert pages[name].count('class="card review review-right"') == questions, name
        assert "review-wrong" not in pages[name] and "review-part" not in pages[name]
    assert pages["boris"].count('class="card review review-wrong"') == questions
    assert "review-right" not in pages["boris"]


# --- Changed content shows at once -----------------------------------------------------------------


def _rewrite(root: Path, old: str, new: str) -> None:
    path = root / QUIZ_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    sync_tree(root)
    db.session.commit()


def test_a_changed_quiz_shows_at_once_and_attempts_keep_their_questions(
    client, auth, quiz, make_user, courses_dir
):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth)
    page = f"/quiz-attempts/{attempt_id}"
    assert "Проверка: все типы вопросов" in client.get(OVERVIEW).get_data(as_text=True)
    assert "Где должны находиться средства" in client.get(page).get_data(as_text=True)

    _rewrite(courses_dir, 'title: "Проверка: все типы вопросов"', 'title: "Проверка фонда"')
    _rewrite(courses_dir, "Проверка по уроку", "Итоговая проверка по уроку")
    _rewrite(courses_dir, "Где должны находиться средства", "Где хранятся средства")
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert "Проверка фонда" in html and "Итоговая проверка по уроку" in html
    assert "все типы вопросов" not in html
    assert "Где должны находиться средства" in client.get(page).get_data(as_text=True)  # pinned

    _post(auth, page + "/submit", {"confirm": ["saved"]})
    second = _start(auth)
    html = client.get(f"/quiz-attempts/{second}").get_data(as_text=True)
    assert "Где хранятся средства" in html and "Где должны находиться средства" not in html
    assert "Проверка фонда" in html


# --- Deadlines and access stay as they were -----------------------------------------------------------


def _expire(attempt_id: int) -> None:
    db.session.rollback()  # no read snapshot older than the requests' writes
    db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt_id).values(deadline_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


def test_the_attempt_page_closes_an_attempt_whose_time_ran_out(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth)
    _save(auth, attempt_id, full_form(quiz, _attempt(attempt_id), right=True))
    _expire(attempt_id)
    response = client.get(f"/quiz-attempts/{attempt_id}")
    assert response.headers["Location"] == f"/quiz-attempts/{attempt_id}/result"
    attempt = _attempt(attempt_id)
    assert attempt.closed_by_deadline and attempt.percent == 100  # the saved answers were graded
    assert "(100\u00a0%)" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_result_and_start_pages_close_an_attempt_whose_time_ran_out(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    client.get(OVERVIEW)
    attempt_id = _start(auth)
    _expire(attempt_id)
    response = client.get(f"/quiz-attempts/{attempt_id}/result")
    assert response.status_code == 200 and "(0\u00a0%)" in response.get_data(as_text=True)
    assert _attempt(attempt_id).closed_by_deadline

    second = _start(auth)
    _expire(second)
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert f'/quiz-attempts/{second}"' not in html  # no "continue": it is closed and listed
    attempt = _attempt(second)
    assert attempt.submitted_at is not None and attempt.closed_by_deadline
    assert f"/quiz-attempts/{second}/result" in html


def test_the_attempt_pages_are_for_their_candidate_only(client, auth, quiz, make_user):
    make_user("anna")
    make_user("igor", role="instructor")
    auth.login("anna")
    attempt_id = _start(auth)
    auth.logout()
    for path in (f"/quiz-attempts/{attempt_id}", f"/quiz-attempts/{attempt_id}/result"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    auth.login("igor")
    for path in (f"/quiz-attempts/{attempt_id}", f"/quiz-attempts/{attempt_id}/result"):
        assert client.get(path).status_code == 403
    assert client.get("/quiz-attempts/999999").status_code == 403  # the role first, as before

"""Quiz pages through the Flask test client: secrecy, autosave, idempotent submit, timer, access."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptAnswer
from tests.quizzes.conftest import full_form
from tests.teaching import teach

OVERVIEW = "/courses/quiz-course/quizzes/q-all"


def _attempt(attempt_id: int) -> Attempt:
    db.session.rollback()  # a fresh snapshot: the attempt was created by a request
    return db.session.get(Attempt, attempt_id)


def _start(auth, client) -> int:
    response = auth.post(OVERVIEW + "/start", page=OVERVIEW)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/quiz-attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _post(auth, path: str, form: dict[str, list[str]], page: str, **kwargs):
    data = MultiDict([(key, value) for key, values in form.items() for value in values])
    data.add("csrf_token", auth.csrf(OVERVIEW))  # any page of the session carries the token
    return auth.client.post(path, data=data, **kwargs)


def test_overview_states_the_policy(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    html = client.get(OVERVIEW).get_data(as_text=True)
    policy = quiz.payload["policy"]
    assert f"не менее {policy['pass_mark']}\u00a0% баллов." in html
    assert str(policy["time_limit"]) in html
    assert "Осталось попыток: 2" in html


def test_a_quiz_opened_by_a_lesson_address_goes_to_its_page(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    response = client.get(f"/courses/quiz-course/lessons/{quiz.key}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/quiz-course/quizzes/{quiz.key}")


def test_answers_never_reach_the_browser_before_submission(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    html = client.get(f"/quiz-attempts/{attempt_id}").get_data(as_text=True)
    for question in quiz.payload["questions"]:
        assert question["prompt_html"] in html
        if question.get("explanation_html"):
            assert question["explanation_html"] not in html
        for option in question.get("options", []):
            if option.get("feedback_html"):
                assert option["feedback_html"] not in html
        for accepted in question.get("answer", {}).get("accepted", []):
            assert f'value="{accepted}"' not in html
    assert "correct" not in html.lower().replace("incorrect", "")


def test_autosave_survives_a_reload(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    form = full_form(quiz, _attempt(attempt_id), right=True)
    response = _post(auth, page + "/save", form, page, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json["closed"] is False
    html = client.get(page).get_data(as_text=True)
    single = next(q for q in quiz.payload["questions"] if q["type"] == "single")
    right_key = next(o["key"] for o in single["options"] if o["correct"])
    assert re.search(rf'name="q-{single["key"]}" value="{right_key}" checked', html)


def test_double_submit_makes_one_graded_attempt(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    first = _post(auth, page + "/submit", full_form(quiz, _attempt(attempt_id), right=True), page)
    second = _post(auth, page + "/submit", full_form(quiz, _attempt(attempt_id), right=False), page)
    assert first.headers["Location"] == second.headers["Location"] == f"{page}/result"
    db.session.rollback()  # end the test's own read snapshot to see what the requests wrote
    attempts = db.session.scalars(sa.select(Attempt)).all()
    assert len(attempts) == 1 and attempts[0].percent == 100


def test_two_clients_submitting_at_once_make_one_attempt(app, client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    forms = [
        full_form(quiz, _attempt(attempt_id), right=True),
        full_form(quiz, _attempt(attempt_id), right=False),
    ]
    tokens = [auth.csrf(page), auth.csrf(page)]
    cookie = client.get_cookie("session").value
    results = []
    barrier = threading.Barrier(2)

    def submit(index: int) -> None:
        other = app.test_client()
        other.set_cookie("session", cookie)
        data = MultiDict([(k, v) for k, values in forms[index].items() for v in values])
        data.add("csrf_token", tokens[index])
        barrier.wait()
        results.append(other.post(page + "/submit", data=data).status_code)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302, 302]
    db.session.rollback()
    attempts = db.session.scalars(sa.select(Attempt)).all()
    assert len(attempts) == 1
    assert attempts[0].percent in (0, 100)  # one of the two forms won, whole
    graded = [a for a in attempts[0].answers if a.credit is not None]
    assert len(graded) == len(attempts[0].layout)


def test_time_limit_is_enforced_by_the_server(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = utcnow() - timedelta(seconds=10)
    db.session.commit()
    response = _post(
        auth,
        page + "/save",
        full_form(quiz, _attempt(attempt_id)),
        OVERVIEW,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409 and response.json["closed"] is True
    db.session.rollback()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.closed_by_deadline and attempt.percent == 0


def test_result_page_shows_score_and_feedback(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    response = _post(
        auth, page + "/submit", full_form(quiz, _attempt(attempt_id), right=True), page, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "(100\u00a0%); для сдачи нужно" in html
    assert "27 ± 0,5" in html and "4…6" in html  # the numeric keys, with a decimal comma
    explained = [q for q in quiz.payload["questions"] if q.get("explanation_html")]
    assert explained and explained[0]["explanation_html"] in html


def test_attempts_of_others_are_not_found(client, auth, quiz, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    attempt_id = _start(auth, client)
    auth.logout()
    auth.login("boris")
    for path in ("", "/result"):
        assert client.get(f"/quiz-attempts/{attempt_id}{path}").status_code == 404
    page = OVERVIEW
    assert _post(auth, f"/quiz-attempts/{attempt_id}/submit", {}, page).status_code == 404


def test_item_analysis_is_for_staff_only(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get(OVERVIEW + "/analysis").status_code == 403
    auth.logout()
    make_user("igor", role="instructor")
    auth.login("igor")
    assert client.get(OVERVIEW + "/analysis").status_code == 404  # not his course (yet)
    assert "/analysis" not in client.get(OVERVIEW).get_data(as_text=True)
    teach("igor", quiz.course.key)
    assert client.get(OVERVIEW + "/analysis").status_code == 200
    assert "/analysis" in client.get(OVERVIEW).get_data(as_text=True)


def test_a_regional_coordinators_analysis_filter_shows_only_their_region(client, auth, quiz, make_user):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    html = client.get(OVERVIEW + "/analysis?region=50").get_data(as_text=True)
    assert re.search(r'<select id="region" name="region" disabled>\s*<option value="77" selected>', html)
    assert "Все регионы" not in html and "Применить" not in html
    auth.logout()
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get(OVERVIEW + "/analysis").get_data(as_text=True)
    assert "Все регионы" in html and "Применить" in html


def test_a_partly_ordered_answer_reopens_as_left(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    ordering = next(q for q in quiz.payload["questions"] if q["type"] == "ordering")
    first = ordering["answer"]["order"][0]
    form = {f"q-{ordering['key']}-{first}": ["1"]}
    response = _post(auth, page + "/save", form, page, headers={"Accept": "application/json"})
    assert response.status_code == 200
    html = client.get(page).get_data(as_text=True)
    chosen = {}
    for option in ordering["options"]:
        select = re.search(
            rf'<select id="q-{ordering["key"]}-{option["key"]}".*?</select>', html, re.S
        ).group(0)
        picked = re.search(r'value="(\d+)" selected', select)
        chosen[option["key"]] = picked.group(1) if picked else None
    assert chosen == {
        option["key"]: ("1" if option["key"] == first else None) for option in ordering["options"]
    }


def _served_questions(quiz, attempt_id: int) -> list[dict]:
    """The quiz's questions in the order this attempt serves them (the quiz shuffles)."""
    by_key = {question["key"]: question for question in quiz.payload["questions"]}
    return [by_key[item["key"]] for item in _attempt(attempt_id).layout]


def test_a_submit_with_unanswered_questions_is_confirmed_first(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    served = _served_questions(quiz, attempt_id)
    single = next(q for q in served if q["type"] == "single")
    left_out = [q["key"] for q in served if q["type"] != "single"][1:3]
    answered = {q["key"] for q in served} - set(left_out)
    missing = [(number, q) for number, q in enumerate(served, start=1) if q["key"] not in answered]
    form = full_form(quiz, _attempt(attempt_id), right=True, only=answered)

    response = _post(auth, page + "/submit", form, page)
    assert response.status_code == 302 and response.headers["Location"] == f"{page}/confirm"
    attempt = _attempt(attempt_id)
    assert attempt.submitted_at is None  # nothing graded, no attempt used up yet
    assert {a.question_key for a in attempt.answers if a.response is not None} == answered

    html = client.get(page + "/confirm").get_data(as_text=True)
    assert "<h1>Отправить, не ответив на все вопросы?</h1>" in html
    assert "Без ответа 2 вопроса из 8; за них будет 0 баллов:" in html
    for number, question in missing:
        link = f'<a href="{page}#question-{question["key"]}">Вопрос {number}</a>'
        assert link in html
    assert "Вернуться и ответить</a>" in html and "Отправить как есть</button>" in html
    right_key = next(o["key"] for o in single["options"] if o["correct"])
    take = client.get(page).get_data(as_text=True)  # "go back": the answers given are there
    assert re.search(rf'name="q-{single["key"]}" value="{right_key}" checked', take)

    response = _post(auth, page + "/submit", {"confirm": ["saved"]}, page)
    assert response.headers["Location"] == f"{page}/result"
    db.session.rollback()
    attempts = db.session.scalars(sa.select(Attempt)).all()
    assert len(attempts) == 1 and attempts[0].submitted_at is not None
    credited = {a.question_key for a in attempts[0].answers if a.credit == 1}
    assert credited == answered
    assert client.get(page + "/confirm").headers["Location"] == f"{page}/result"


def test_the_confirmation_names_a_question_by_its_text(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    served = _served_questions(quiz, attempt_id)
    number = next(n for n, q in enumerate(served, start=1) if q["key"] == "fond-schet")
    _post(auth, page + "/submit", {}, page)
    html = client.get(page + "/confirm").get_data(as_text=True)
    expected = (
        f'<a href="{page}#question-fond-schet">Вопрос {number}</a>: '
        "Где должны находиться средства избирательного фонда?</li>"
    )
    assert expected in html
    assert "Без ответа 8 вопросов из 8; за них будет 0 баллов:" in html
    assert re.search(r"<p>Осталось времени: до \d{1,2}:\d{2}</p>", html)  # the quiz has a time limit


def test_a_confirmed_submit_with_the_form_is_graded_at_once(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    served = _served_questions(quiz, attempt_id)
    form = full_form(quiz, _attempt(attempt_id), right=True, only={served[0]["key"]})
    response = _post(auth, page + "/submit", {**form, "confirm": ["1"]}, page)
    assert response.headers["Location"] == f"{page}/result"
    attempt = _attempt(attempt_id)
    assert attempt.submitted_at is not None
    assert {a.question_key for a in attempt.answers if a.credit == 1} == {served[0]["key"]}
    # Every served question has its row; the unanswered ones keep no response and no credit.
    rows = {a.question_key: (a.response, a.credit) for a in attempt.answers}
    assert set(rows) == {item["key"] for item in attempt.layout}
    assert rows[served[0]["key"]][0] is not None
    assert all(rows[item["key"]] == (None, 0.0) for item in served[1:])
    unanswered = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AttemptAnswer)
        .where(AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.question_key != served[0]["key"])
    )
    assert unanswered == len(served) - 1


def test_a_fully_answered_quiz_is_submitted_without_asking(client, auth, quiz, make_user):
    make_user("anna")
    auth.login("anna")
    attempt_id = _start(auth, client)
    page = f"/quiz-attempts/{attempt_id}"
    response = _post(auth, page + "/submit", full_form(quiz, _attempt(attempt_id), right=False), page)
    assert response.headers["Location"] == f"{page}/result"
    assert _attempt(attempt_id).submitted_at is not None


def test_item_analysis_names_each_question_by_its_text_and_type(client, auth, quiz, make_user):
    make_user("igor", role="instructor")
    teach("igor", quiz.course.key)
    auth.login("igor")
    html = " ".join(client.get(OVERVIEW + "/analysis").get_data(as_text=True).split())
    titles = re.findall(r'<h2 id="analysis-title-[^"]+">(.*?)</h2>', html)
    assert titles == [
        '1. Где должны находиться средства избирательного фонда? <span class="muted">(Один вариант)</span>',
        '2. Какие документы входят в финансовый отчёт? <span class="muted">(Несколько вариантов)</span>',
        "3. Анонимные пожертвования можно зачислять в избирательный фонд. "
        '<span class="muted">(Верно или неверно)</span>',
        "4. Как называется комиссия, которая регистрирует кандидатов на выборах в городскую думу? "
        '<span class="muted">(Краткий ответ)</span>',
        "5. Сколько дней длится агитационный период для СМИ, если он начинается за 28 дней до дня… "
        '<span class="muted">(Число)</span>',
        "6. Какую долю подписей (в процентах) разрешено забраковать без отказа в регистрации? "
        '<span class="muted">(Число)</span>',
        '7. Расположите этапы кампании по порядку. <span class="muted">(Порядок)</span>',
        '8. Сопоставьте документ и орган, куда его подают. <span class="muted">(Соответствие)</span>',
    ]
    # Only the shortened one repeats its whole text under the title.
    assert html.count('<div class="prose">') == 1
    assert "и заканчивается за сутки до него?" in html

    auth.post("/language/en", {"next": "/"})
    html = " ".join(client.get(OVERVIEW + "/analysis").get_data(as_text=True).split())
    labels = re.findall(r'<h2 id="analysis-title-[^"]+">.*?<span class="muted">\((.*?)\)</span></h2>', html)
    expected = ["Single choice", "Multiple choice", "True or false", "Short answer", "Number", "Number"]
    assert labels == [*expected, "Ordering", "Matching"]


def test_the_teaching_pages_link_each_quizs_item_analysis(client, auth, quiz, make_user):
    make_user("igor", role="instructor")
    auth.login("igor")
    analysis = f'<a href="{OVERVIEW}/analysis">Проверка: все типы вопросов</a>'
    assert analysis not in client.get("/dashboard/teaching").get_data(as_text=True)  # teaches nothing yet
    teach("igor", quiz.course.key)
    html = client.get("/dashboard/teaching").get_data(as_text=True)
    assert '<h2 id="quiz-analysis-title">Анализ вопросов тестов</h2>' in html
    assert analysis in html
    assert analysis in client.get("/dashboard/teaching/quiz-course").get_data(as_text=True)

"""The candidate's scenario pages read in one statement and cache the scenario's text by version.

What they cache is content only (a scenario version's text, the titles); whose playthrough it is,
the step, the chosen path, scores, own words and comments are read and shown for each request.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from lms.accounts.models import LoginSession
from lms.content.sync import sync_tree
from lms.exercises import services
from lms.exercises.models import Playthrough
from lms.extensions import db
from tests.exercises.test_views import SCENARIO, choose, fresh, start_playthrough
from tests.statements import Statements

SCENARIO_FILE = "ex-course/01-praktika/02-dver.md"
FREE_TEXT = "Здравствуйте, я волонтёр кандидата. Вам удобно говорить?"


def _finish(auth, url: str, path: list[int], free_text: str | None = None) -> None:
    for step, reply in enumerate(path):
        assert choose(auth, url, step, reply, free_text if step == 0 else None).status_code == 302


def test_a_step_and_the_debrief_send_one_select_once_their_fragments_are_cached(
    client, auth, scenario_item, make_user
):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    client.get(url)  # the first view renders (and caches) the fragments: it reads the payload too
    with Statements() as statements:
        assert client.get(url).status_code == 200
    assert statements.verbs == ["SELECT"], statements.sql
    _finish(auth, url, [0, 0, 1])
    debrief = url + "/debrief"
    client.get(debrief)
    with Statements() as statements:
        assert client.get(debrief).status_code == 200
    assert statements.verbs == ["SELECT"], statements.sql


def test_an_uncached_page_reads_the_payload_in_one_more_statement(
    app, client, auth, scenario_item, make_user
):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    _finish(auth, url, [0])
    app.jinja_env.fragments.clear()
    with Statements() as statements:
        assert client.get(url).status_code == 200
    assert len(statements.sql) <= 2, statements.sql


def test_each_candidate_sees_their_own_step_feedback_and_order(client, auth, scenario_item, make_user):
    make_user("anna", full_name="Анна Петрова")
    make_user("boris", full_name="Борис Орлов")
    auth.login("anna")
    anna = start_playthrough(auth)
    _finish(auth, anna, [0])  # introduce yourself: feedback at once, then the next node
    html = client.get(anna).get_data(as_text=True)
    assert "Анна Петрова" in html and "шаг 2" in html
    assert "Хорошее начало" in html and "Ну, говорите" in html
    auth.logout()
    auth.login("boris")
    boris = start_playthrough(auth)
    html = client.get(boris).get_data(as_text=True)
    assert "Борис Орлов" in html and "Анна" not in html
    assert "шаг 1" in html and "Хорошее начало" not in html and "Опять агитаторы" in html
    assert 'name="step" value="0"' in html and 'name="step" value="1"' not in html
    assert client.get(anna).status_code == 404  # and still not anna's playthrough


def test_each_candidate_sees_their_own_debrief(client, auth, scenario_item, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    anna = start_playthrough(auth)
    _finish(auth, anna, [2, 0, 1], FREE_TEXT)
    html = client.get(anna + "/debrief").get_data(as_text=True)
    assert FREE_TEXT in html and "Упражнение выполнено" in html and "ждут комментария" in html
    assert re.search(r'data-competency="listening"><th scope="row">[^<]+</th><td data-score>2<', html)
    auth.logout()
    auth.login("boris")
    boris = start_playthrough(auth)
    _finish(auth, boris, [1, 1])  # monologue → leave: the same nodes' fragments, another result
    html = client.get(boris + "/debrief").get_data(as_text=True)
    assert FREE_TEXT not in html and "Упражнение пока не выполнено" in html
    assert re.search(r'data-competency="listening"><th scope="row">[^<]+</th><td data-score>-1<', html)
    assert "ждут комментария" not in html  # anna's free text waits for review, boris has none


def test_a_new_title_shows_at_once_and_new_text_in_new_playthroughs(
    client, auth, courses_dir, scenario_item, make_user
):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    assert "Опять агитаторы" in client.get(url).get_data(as_text=True)
    source = courses_dir / SCENARIO_FILE
    text = source.read_text(encoding="utf-8")
    text = text.replace("Разговор у двери: скептик", "Разговор у двери: ворчун")
    source.write_text(text.replace("Опять агитаторы?", "Снова агитаторы?"), encoding="utf-8")
    sync_tree(courses_dir)
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Разговор у двери: ворчун" in html and "скептик" not in html
    assert "Опять агитаторы" in html  # a playthrough keeps the version it started with
    _finish(auth, url, [1, 1])
    assert "Разговор у двери: ворчун" in client.get(url + "/debrief").get_data(as_text=True)
    second = start_playthrough(auth)
    assert second != url
    html = client.get(second).get_data(as_text=True)
    assert "Снова агитаторы" in html and "Опять агитаторы" not in html


def test_the_pages_are_the_candidates_own(client, auth, scenario_item, make_user):
    user = make_user("anna")
    make_user("igor", role="instructor")
    make_user("olga", role="coordinator")
    auth.login("anna")
    url = start_playthrough(auth)
    _finish(auth, url, [1, 1])
    debrief = url + "/debrief"
    assert client.get(url).headers["Location"].endswith(debrief)
    assert client.get(debrief).status_code == 200
    db.session.execute(
        sa.update(LoginSession).where(LoginSession.user_id == user.id).values(revoked_at=sa.func.now())
    )
    db.session.commit()
    for page in (url, debrief):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for staff in ("igor", "olga"):
        auth.login(staff)
        assert client.get(url).status_code == 403
        assert client.get(debrief).status_code == 403
        auth.logout()


def test_an_unfinished_playthrough_has_no_debrief_yet(client, auth, scenario_item, make_user):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    response = client.get(url + "/debrief")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    fresh()
    assert db.session.scalar(sa.select(Playthrough.finished_at)) is None
    assert SCENARIO in client.get(url).get_data(as_text=True)


def test_instructors_comments_come_in_the_same_statement(client, auth, scenario_item, make_user):
    make_user("anna")
    igor = make_user("igor", role="instructor", full_name="Игорь Иванов")
    auth.login("anna")
    url = start_playthrough(auth)
    _finish(auth, url, [2, 0, 1], FREE_TEXT)
    fresh()
    playthrough = db.session.scalar(sa.select(Playthrough))
    for comment in ("Первый комментарий.", "Второй комментарий."):
        services.review_playthrough(playthrough, igor, comment)
    db.session.commit()
    client.get(url + "/debrief")
    with Statements() as statements:
        html = client.get(url + "/debrief").get_data(as_text=True)
    assert statements.verbs == ["SELECT"], statements.sql
    assert html.index("Первый комментарий.") < html.index("Второй комментарий.")
    assert html.count("Игорь Иванов") == 2 and "ждут комментария" not in html

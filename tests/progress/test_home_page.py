"""The home page ("My courses") reads everything in one statement and caches only what reads the
same for everybody: each course card's title, summary and link, under the course's stamp."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from lms.accounts.models import LoginSession
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress.models import Enrolment
from tests.conftest import AuthActions
from tests.statements import Statements

LESSON = "/courses/tiny-course/lessons/l-one"


def _reimport(courses_dir: Path, old: str, new: str) -> None:
    file = courses_dir / "tiny-course" / "course.md"
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")
    db.session.rollback()
    sync_tree(courses_dir)
    db.session.commit()


def _progress(html: str) -> str:
    match = re.search(r'<progress max="100" value="(\d+)"', html)
    assert match, "no progress bar"
    return match.group(1)


def test_the_page_is_one_statement(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    auth.post("/courses/tiny-course/start")
    client.get(LESSON)
    auth.post(LESSON + "/complete", page=LESSON)
    client.get("/")  # the cached parts are rendered once
    with Statements() as statements:
        html = client.get("/").get_data(as_text=True)
    assert statements.verbs == ["SELECT"]  # the session, the courses, the progress: no BEGIN either
    assert "Продолжите с того места, где остановились" in html and _progress(html) != "0"


def test_staff_see_the_courses_without_start_buttons_or_resume(client, auth, imported, make_user):
    make_user("boss", role="admin")
    auth.login("boss")
    with Statements() as statements:
        html = client.get("/").get_data(as_text=True)
    assert len(statements.sql) <= 1
    assert "<h2>Курсы</h2>" in html and "Крошечный курс" in html
    assert "/courses/tiny-course/start" not in html and "resume-title" not in html
    assert "Вы пока не записаны" not in html


def test_signed_out_and_revoked_sessions_go_to_login(client, auth, imported, make_user):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    user = make_user("anna")
    auth.login("anna")
    assert client.get("/").status_code == 200
    db.session.execute(
        sa.update(LoginSession).where(LoginSession.user_id == user.id).values(revoked_at=sa.func.now())
    )
    db.session.commit()
    assert client.get("/").status_code == 302


def test_each_reader_sees_their_own_progress_on_the_cached_cards(app, imported, make_user):
    anna = make_user("anna")
    make_user("boris")
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login("anna")
    AuthActions(second).login("boris")
    AuthActions(first).post("/courses/tiny-course/start")
    first.get(LESSON)
    AuthActions(first).post(LESSON + "/complete", page=LESSON)
    db.session.execute(
        sa.update(Enrolment).where(Enrolment.user_id == anna.id).values(due_on=date(2000, 1, 2))
    )
    db.session.commit()

    anna_home = first.get("/").get_data(as_text=True)
    boris_home = second.get("/").get_data(as_text=True)  # after Anna's: her cards are cached
    assert "Крошечный курс" in anna_home and "Крошечный курс" in boris_home
    assert _progress(anna_home) != "0" and "Просрочено" in anna_home and "resume-title" in anna_home
    # Boris is not enrolled: the course is in his catalogue with his own form, nothing of Anna's
    assert "<progress" not in boris_home and "Просрочено" not in boris_home
    assert "resume-title" not in boris_home and "/courses/tiny-course/start" in boris_home

    AuthActions(second).post("/courses/tiny-course/start")
    boris_home = second.get("/").get_data(as_text=True)
    assert _progress(boris_home) == "0" and "Просрочено" not in boris_home
    assert _progress(first.get("/").get_data(as_text=True)) == _progress(anna_home)


def test_a_changed_title_or_summary_shows_at_once(client, auth, imported, make_user, courses_dir):
    make_user("anna")
    auth.login("anna")
    catalogue = client.get("/").get_data(as_text=True)  # the catalogue card, cached
    assert "Крошечный курс" in catalogue
    auth.post("/courses/tiny-course/start")
    enrolled = client.get("/").get_data(as_text=True)  # the enrolled card, cached too
    assert "Курс для тестов загрузчика и приложения" in enrolled

    _reimport(courses_dir, "title: Крошечный курс", "title: Маленький курс")
    _reimport(courses_dir, "summary: Курс для тестов загрузчика", "summary: Курс для проверки загрузчика")
    html = client.get("/").get_data(as_text=True)
    assert "Маленький курс" in html and "Крошечный курс" not in html
    assert "Курс для проверки загрузчика" in html and "Курс для тестов загрузчика" not in html


def test_cached_cards_follow_the_language(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    assert "шаг" in client.get("/").get_data(as_text=True)  # the catalogue card, cached in Russian
    auth.post("/language/en", {"next": "/"})
    english = client.get("/").get_data(as_text=True)
    assert re.search(r"\d+ steps?", english) and "шаг" not in english

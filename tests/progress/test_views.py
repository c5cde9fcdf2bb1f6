"""The candidate's path through the web pages: home, course, lesson, mark done, resume."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress


def lesson_url(key: str) -> str:
    return f"/courses/tiny-course/lessons/{key}"


def test_home_lists_enrolled_courses_with_progress(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    html = client.get("/").get_data(as_text=True)
    assert "tiny-course" in html  # in the catalogue, not yet enrolled
    auth.post("/courses/tiny-course/start")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<progress max="100" value="0"', html)


def test_start_opens_the_first_lesson(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    response = auth.post("/courses/tiny-course/start")
    assert response.status_code == 302
    assert response.headers["Location"] == lesson_url("l-one")


def test_lesson_page_shows_rendered_content_and_toc(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    response = client.get(lesson_url("l-one"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    stored = db.session.scalar(sa.select(Lesson).where(Lesson.key == "l-one"))
    assert stored.html in html
    for entry in stored.toc:
        assert f'href="#{entry["id"]}"' in html


def test_mark_done_moves_the_progress_bar_and_goes_on(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-one"))
    response = auth.post(lesson_url("l-one") + "/complete", page=lesson_url("l-one"))
    assert response.status_code == 302
    assert response.headers["Location"] == lesson_url("l-two")
    html = client.get("/courses/tiny-course").get_data(as_text=True)
    assert re.search(r'<progress max="100" value="33"', html)


def test_double_submit_counts_once(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    for _ in range(3):
        auth.post(lesson_url("l-one") + "/complete", page=lesson_url("l-one"))
    rows = db.session.scalars(sa.select(LessonProgress).where(LessonProgress.user_id == user.id)).all()
    assert len(rows) == 1
    assert db.session.scalar(sa.select(Enrolment.lessons_done)) == 1


def test_completing_every_lesson_completes_the_course(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    for key in ("l-one", "l-two", "l-three"):
        auth.post(lesson_url(key) + "/complete", page=lesson_url(key))
    enrolment = db.session.scalar(sa.select(Enrolment))
    assert enrolment.lessons_done == 3 and enrolment.completed_at is not None
    assert "100" in client.get("/").get_data(as_text=True)


def test_login_resumes_at_the_last_lesson(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-two"))
    auth.logout()
    response = auth.login("anna", follow=True)
    assert response.request.path == lesson_url("l-two")


def test_first_login_without_history_lands_home(client, auth, imported, make_user):
    make_user("anna")
    response = auth.login("anna", follow=True)
    assert response.request.path == "/"


def test_unknown_and_archived_lessons_are_404(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get(lesson_url("nope")).status_code == 404
    assert client.get("/courses/nope").status_code == 404
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.key == "l-two"))
    from lms.core.time import utcnow

    lesson.archived_at = utcnow()
    db.session.commit()
    assert client.get(lesson_url("l-two")).status_code == 404


def test_instructor_previews_without_recording_progress(client, auth, imported, make_user):
    make_user("igor", role="instructor")
    auth.login("igor")
    html = client.get(lesson_url("l-one")).get_data(as_text=True)
    assert "complete" not in re.findall(r'action="([^"]+)"', html)[-1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 0


def test_links_between_lessons_resolve(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    html = client.get(lesson_url("l-one")).get_data(as_text=True)
    go_links = re.findall(r'href="(/courses/tiny-course/go/[^"#]+)', html)
    assert go_links, "the fixture lesson links to another lesson"
    response = client.get(go_links[0])
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/courses/tiny-course/lessons/")
    assert client.get("/courses/tiny-course/go/missing.md").status_code == 404


def test_assets_are_served_only_from_the_course_folder(client, auth, imported, make_user, courses_dir):
    make_user("anna")
    auth.login("anna")
    html = (
        client.get(lesson_url("l-one")).get_data(as_text=True)
        + client.get(lesson_url("l-two")).get_data(as_text=True)
        + client.get(lesson_url("l-three")).get_data(as_text=True)
    )
    images = re.findall(r'src="(/courses/tiny-course/assets/[^"]+)"', html)
    assert images, "the fixture course has an image"
    response = client.get(images[0])
    assert response.status_code == 200 and response.mimetype.startswith("image/")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()
    for bad in ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "course.md", "/etc/passwd", "01-one/module.md"):
        response = client.get(f"/courses/tiny-course/assets/{bad}", follow_redirects=True)
        assert response.status_code == 404, bad
    auth.logout()
    response = client.get(images[0])
    assert response.status_code == 302
    response.close()


def test_lesson_page_runs_neither_markdown_nor_bleach(client, auth, imported, make_user, monkeypatch):
    import bleach
    import markdown

    def forbidden(*args, **kwargs):
        raise AssertionError("rendering at request time")

    monkeypatch.setattr(markdown.Markdown, "convert", forbidden)
    monkeypatch.setattr(markdown, "markdown", forbidden)
    monkeypatch.setattr(bleach, "clean", forbidden)
    monkeypatch.setattr(bleach.sanitizer.Cleaner, "clean", forbidden)
    make_user("anna")
    auth.login("anna")
    assert client.get(lesson_url("l-one")).status_code == 200
    assert client.get("/courses/tiny-course").status_code == 200
    assert client.get("/").status_code == 200


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_way_on_reads_start_until_a_step_is_done_then_continue(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    auth.post("/courses/tiny-course/start")
    client.get(lesson_url("l-one"))  # opened, not done: still 0 %
    first = f'<a class="button primary" href="{lesson_url("l-one")}">'
    home = client.get("/").get_data(as_text=True)
    assert '<h2 id="resume-title">Начать курс</h2>' in home
    assert first + "Начать</a>" in home and "Продолжить" not in home
    course = client.get("/courses/tiny-course").get_data(as_text=True)
    assert first + "Начать</a>" in course and "Продолжить" not in course

    auth.post(lesson_url("l-one") + "/complete", page=lesson_url("l-one"))
    home = client.get("/").get_data(as_text=True)
    assert '<h2 id="resume-title">Продолжите с того места, где остановились</h2>' in home
    assert first + "Продолжить</a>" in home and "Начать</a>" not in home  # resume: the last opened
    course = client.get("/courses/tiny-course").get_data(as_text=True)
    second = f'<a class="button primary" href="{lesson_url("l-two")}">'  # the next one to do
    assert second + "Продолжить</a>" in course and "Начать</a>" not in course

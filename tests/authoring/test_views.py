"""The authoring pages: each action, and who may (admins, course staff) or gets 403/404."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa

from lms.authoring.drafts import open_for_edit
from lms.authoring.models import Draft
from lms.content.models import Lesson
from lms.extensions import db
from tests.authoring.conftest import ASSIGNMENT, LESSON, QUIZ, SCENARIO
from tests.conftest import csrf_from

BROKEN = "---\nid: l-one\ntitle: Первый урок\nminutes: много\n---\nТекст.\n"
NEW_TEXT = "---\nid: l-one\ntitle: Первый урок, правка\n---\nНовый **текст**.\n"


def editor_form(client, rel: str) -> dict[str, str]:
    """The CSRF token and the version token of the editor page as a browser has it open."""
    page = client.get(f"/author/edit/{rel}").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]*)"', page)
    assert token, "editor has no token"
    return {"csrf_token": csrf_from(page), "token": token.group(1)}


def draft_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Draft))


# --- rights -----------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client, imported):
    response = client.get("/author/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["candidate", "coordinator"])
def test_other_roles_get_403(client, auth, make_user, imported, role):
    make_user("someone", role=role)
    auth.login("someone")
    for path in ("/author/", f"/author/edit/{LESSON}", f"/author/candidate/{LESSON}"):
        assert client.get(path).status_code == 403


def test_actions_on_another_course_are_403(client, auth, teacher, admin, edit):
    edit(QUIZ, "Черновик администратора.\n", admin)
    auth.login("teacher1")
    token = editor_form(client, LESSON)["csrf_token"]
    data = {"csrf_token": token, "text": "x", "token": "t", "action": "save"}
    for path in (f"/author/edit/{QUIZ}", f"/author/discard/{QUIZ}", "/author/publish/quiz-course"):
        assert client.post(path, data=data).status_code == 403
    assert (
        client.post(f"/author/preview/{QUIZ}", data=data, headers={"X-CSRFToken": token}).status_code == 403
    )
    db.session.rollback()
    assert open_for_edit(QUIZ).text == "Черновик администратора.\n"


def test_a_candidate_posting_to_the_editor_gets_403(client, auth, make_user, imported):
    make_user("anna")
    auth.login("anna")
    token = auth.csrf("/")
    data = {"csrf_token": token, "text": "x", "token": "t", "action": "publish"}
    for path in (f"/author/edit/{LESSON}", f"/author/discard/{LESSON}", "/author/publish/tiny-course"):
        assert client.post(path, data=data).status_code == 403
    assert (
        client.post(f"/author/preview/{LESSON}", data=data, headers={"X-CSRFToken": token}).status_code == 403
    )
    assert draft_count() == 0


def test_an_instructor_without_courses_gets_403(client, auth, make_user, imported):
    make_user("loner", role="instructor")
    auth.login("loner")
    assert client.get("/author/").status_code == 403
    assert client.get(f"/author/edit/{LESSON}").status_code == 403


def test_course_staff_edit_their_courses_only(client, auth, teacher):
    auth.login("teacher1")
    page = client.get("/author/").get_data(as_text=True)
    assert "tiny-course/" in page
    assert "quiz-course/" not in page
    assert client.get(f"/author/edit/{LESSON}").status_code == 200
    assert client.get(f"/author/edit/{QUIZ}").status_code == 403
    assert client.get(f"/author/candidate/{QUIZ}").status_code == 403
    form = editor_form(client, LESSON)
    # a token of its own file does not open another course's file
    response = client.post(f"/author/edit/{QUIZ}", data={**form, "text": "x", "action": "save"})
    assert response.status_code == 403
    assert (
        client.post("/author/publish/quiz-course", data={"csrf_token": form["csrf_token"]}).status_code == 403
    )
    assert draft_count() == 0


def test_admins_edit_every_course(client, auth, admin, imported):
    auth.login("admin1")
    page = client.get("/author/").get_data(as_text=True)
    for folder in ("tiny-course/", "quiz-course/", "ex-course/"):
        assert folder in page
    assert client.get(f"/author/edit/{QUIZ}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/author/edit/tiny-course/../quiz-course/course.md",
        "/author/edit/tiny-course/%2E%2E/%2E%2E/etc/passwd.md",
        "/author/edit/tiny-course/01-one/img/dot.png",
        "/author/edit/tiny-course/.git/config.md",
        "/author/candidate/..%2F..%2Fetc%2Fpasswd.md",
    ],
)
def test_paths_outside_the_courses_are_404(client, auth, admin, imported, path):
    auth.login("admin1")
    assert client.get(path).status_code == 404


def test_a_symlinked_file_is_404(client, auth, admin, imported, courses_dir, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("secret")
    (courses_dir / "tiny-course" / "leak.md").symlink_to(secret)
    auth.login("admin1")
    assert client.get("/author/edit/tiny-course/leak.md").status_code == 404


# --- the tree and the editor --------------------------------------------------------------------


def test_tree_shows_kinds_and_states(client, auth, admin, imported, courses_dir, edit):
    edit(LESSON, BROKEN, admin)
    auth.login("admin1")
    page = client.get("/author/").get_data(as_text=True)
    assert f'href="/author/edit/{LESSON}"' in page
    assert f'href="/author/edit/{QUIZ}"' in page
    first = page[page.index(f'href="/author/edit/{LESSON}"') :].split("</li>", 1)[0]
    assert "state-draft" in first and "state-errors" in first and "state-published" not in first
    second = page[page.index('href="/author/edit/tiny-course/01-one/02-second.md"') :].split("</li>", 1)[0]
    assert "state-published" in second


def test_editor_shows_the_text_preview_and_lint(client, auth, admin, imported, courses_dir, edit):
    edit(LESSON, BROKEN, admin)
    auth.login("admin1")
    page = client.get(f"/author/edit/{LESSON}").get_data(as_text=True)
    assert '<textarea id="source" name="text"' in page
    assert "minutes: много" in page
    assert 'href="#L4"' in page  # the lint error links to its line
    assert 'id="L4"' in page
    assert "<p>Текст.</p>" in page  # the preview of the effective (draft) text


def test_the_code_editor_gets_its_own_texts_in_the_readers_language(client, auth, admin, imported):
    """CodeMirror's search panel and announcements are English in the bundle: the page translates them."""
    auth.login("admin1")

    def phrases() -> dict[str, str]:
        page = client.get(f"/author/edit/{LESSON}").get_data(as_text=True)
        return json.loads(html.unescape(re.search(r"data-phrases='([^']*)'", page).group(1)))

    russian = phrases()
    assert russian["Find"] == "Найти" and russian["replaced $ matches"] == "заменено совпадений: $"
    assert all(re.search("[а-я]", text) for text in russian.values())
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert all(key == text for key, text in phrases().items())


def test_save_keeps_a_draft_and_leaves_the_disk(client, auth, admin, imported, courses_dir):
    disk = (courses_dir / LESSON).read_text()
    auth.login("admin1")
    form = editor_form(client, LESSON)
    response = client.post(f"/author/edit/{LESSON}", data={**form, "text": NEW_TEXT, "action": "save"})
    assert response.status_code == 302
    assert (courses_dir / LESSON).read_text() == disk
    assert open_for_edit(LESSON).text == NEW_TEXT
    assert "<strong>текст</strong>" in client.get(f"/author/edit/{LESSON}").get_data(as_text=True)


def test_a_leading_blank_line_survives_the_textarea(client, auth, admin, imported):
    """HTML drops the newline right after <textarea>: the page writes one more."""
    auth.login("admin1")
    form = editor_form(client, LESSON)
    client.post(f"/author/edit/{LESSON}", data={**form, "text": "\nТекст.\n", "action": "save"})
    page = client.get(f"/author/edit/{LESSON}").get_data(as_text=True)
    assert re.search(r'<textarea id="source"[^>]*>\n\nТекст\.\n</textarea>', page)


def test_save_without_csrf_is_refused(client, auth, admin, imported):
    auth.login("admin1")
    form = editor_form(client, LESSON)
    response = client.post(f"/author/edit/{LESSON}", data={"token": form["token"], "text": "x"})
    assert response.status_code == 400
    assert draft_count() == 0


def test_a_stale_save_shows_both_versions_and_overwrites_nothing(client, auth, admin, imported, courses_dir):
    auth.login("admin1")
    form = editor_form(client, LESSON)
    pushed = "---\nid: l-one\ntitle: Из git\n---\nПравка из git.\n"
    (courses_dir / LESSON).write_text(pushed)
    response = client.post(f"/author/edit/{LESSON}", data={**form, "text": NEW_TEXT, "action": "save"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Правка из git." in page  # theirs
    assert "Новый **текст**." in page  # mine, in the textarea to save again
    assert "<ins>+Новый **текст**.</ins>" in page and "<del>-Правка из git.</del>" in page
    assert draft_count() == 0
    assert (courses_dir / LESSON).read_text() == pushed
    # The conflict page's form carries the current token: saving again is a knowing overwrite.
    retry = {
        "csrf_token": csrf_from(page),
        "token": re.search(r'name="token"[^>]*value="([^"]*)"', page).group(1),
    }
    response = client.post(f"/author/edit/{LESSON}", data={**retry, "text": NEW_TEXT, "action": "save"})
    assert response.status_code == 302
    db.session.rollback()  # end the test's read snapshot
    assert open_for_edit(LESSON).text == NEW_TEXT


def test_a_double_submit_saves_once(client, auth, admin, imported):
    auth.login("admin1")
    form = editor_form(client, LESSON)
    first = client.post(f"/author/edit/{LESSON}", data={**form, "text": NEW_TEXT, "action": "save"})
    second = client.post(f"/author/edit/{LESSON}", data={**form, "text": NEW_TEXT, "action": "save"})
    assert (first.status_code, second.status_code) == (302, 302)
    assert db.session.scalar(sa.select(Draft.version)) == 1


def test_two_tabs_saving_the_same_version(client, auth, admin, imported):
    auth.login("admin1")
    form = editor_form(client, LESSON)
    first = client.post(f"/author/edit/{LESSON}", data={**form, "text": "Tab one.\n", "action": "save"})
    second = client.post(f"/author/edit/{LESSON}", data={**form, "text": "Tab two.\n", "action": "save"})
    assert (first.status_code, second.status_code) == (302, 409)
    assert open_for_edit(LESSON).text == "Tab one.\n"


def test_a_too_large_file_is_a_field_error(client, auth, admin, imported, app):
    app.config["AUTHORING_MAX_FILE_BYTES"] = 1024
    auth.login("admin1")
    form = editor_form(client, LESSON)
    response = client.post(f"/author/edit/{LESSON}", data={**form, "text": "я" * 600, "action": "save"})
    assert response.status_code == 400
    assert 'id="source-error"' in response.get_data(as_text=True)
    assert draft_count() == 0


def test_discard(client, auth, admin, imported, edit):
    edit(LESSON, NEW_TEXT, admin)
    auth.login("admin1")
    page = client.get(f"/author/edit/{LESSON}").get_data(as_text=True)
    assert f'action="/author/discard/{LESSON}"' in page
    assert client.get(f"/author/discard/{LESSON}").status_code == 405
    response = client.post(f"/author/discard/{LESSON}", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert draft_count() == 0


def test_live_preview_needs_the_csrf_header(client, auth, admin, imported):
    auth.login("admin1")
    form = editor_form(client, LESSON)
    assert client.post(f"/author/preview/{LESSON}", data={"text": "x"}).status_code == 400
    response = client.post(
        f"/author/preview/{LESSON}",
        data={"text": BROKEN.replace("Текст.", "Живой *текст*.")},
        headers={"X-CSRFToken": form["csrf_token"]},
    )
    assert response.status_code == 200
    answer = json.loads(response.get_data(as_text=True))
    assert "<em>текст</em>" in answer["preview"]
    assert 'href="#L4"' in answer["problems"]
    assert answer["errors"] == 1
    assert draft_count() == 0  # a preview saves nothing


def test_live_preview_of_a_too_large_text_is_413(client, auth, admin, imported, app):
    app.config["AUTHORING_MAX_FILE_BYTES"] = 1024
    auth.login("admin1")
    token = editor_form(client, LESSON)["csrf_token"]
    response = client.post(
        f"/author/preview/{LESSON}", data={"text": "я" * 600}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 413


def test_preview_of_a_quiz_shows_its_questions_without_answer_keys(client, auth, admin, imported):
    auth.login("admin1")
    page = client.get(f"/author/edit/{QUIZ}").get_data(as_text=True)
    assert "Где должны находиться средства избирательного фонда?" in page
    assert 'name="q-fond-schet"' in page
    assert "Верно: все поступления" not in page.split('id="preview"')[1].split("</section>")[0]


SURVEY = """---
id: l-one
title: Отзыв о семинаре
type: survey
anonymous: true
---
Несколько вопросов о семинаре.

## obshchee [scale]
Как вы оцениваете семинар?

- 1: Совсем не понравился
- 5: Очень понравился

## format [single, optional]
Какой формат вам ближе?

- lekcii: Больше лекций
- praktika: Больше практики <img src=x onerror="alert(1)">

## temy [multiple]
Какие темы разобрать подробнее?

- finansy: Финансы кампании
- agitaciya: Агитация

## vzlom [text]
Что изменить? <script>alert("vzlom")</script>

## <img/src=x/onerror=alert(2)> [text]
Вопрос с чужим ключом.
"""


def preview_of(client, rel: str, text: str) -> str:
    """The live preview's HTML of `text`, as the editor's script asks for it."""
    token = editor_form(client, rel)["csrf_token"]
    response = client.post(f"/author/preview/{rel}", data={"text": text}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))["preview"]


def test_preview_of_a_survey_shows_each_question_as_its_page_does(client, auth, admin, imported):
    auth.login("admin1")
    preview = preview_of(client, LESSON, SURVEY)
    # Inside one disabled fieldset with a legend, in no form: nothing in the preview can be sent.
    assert re.search(r"<fieldset disabled[^>]*>\s*<legend", preview)
    assert "<form" not in preview
    assert "csrf" not in preview
    assert "Этот опрос анонимный" in preview  # the promise the respondent reads above the questions
    prompts = ["Как вы оцениваете семинар?", "Какой формат вам ближе?", "Какие темы разобрать подробнее?"]
    for number, prompt in enumerate(prompts, start=1):
        assert f"Вопрос {number}" in preview
        assert prompt in preview
    # Each type with its own input: a scale's points and a single choice are radios, a multiple
    # choice checkboxes, a free answer a labelled textarea.
    assert re.search(r'<input type="radio" name="q-obshchee" value="1" required>', preview)
    assert re.search(r'<input type="radio" name="q-obshchee" value="5" required>', preview)
    assert "Совсем не понравился" in preview
    assert '<input type="radio" name="q-format" value="lekcii">' in preview
    assert '<input type="checkbox" name="q-temy" value="finansy">' in preview
    assert re.search(
        r'<label for="q-vzlom">Ваш ответ</label>\s*<textarea id="q-vzlom" name="q-vzlom"', preview
    )
    assert 'maxlength="4000"' in preview
    assert preview.count('class="question card"') == 5


def test_preview_of_a_survey_escapes_hostile_question_text(client, auth, admin, imported):
    auth.login("admin1")
    preview = preview_of(client, LESSON, SURVEY)
    assert "Что изменить?" in preview
    assert "<script" not in preview
    assert "Больше практики <img" in preview  # bleach keeps the image, without its handler
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", preview), "an event handler attribute got through"
    assert "<img/src" not in preview
    # A key the linter refuses (E704) is still drawn while the author types: escaped in every attribute.
    assert 'id="question-&lt;img/src=x/onerror=alert(2)&gt;"' in preview
    assert 'name="q-&lt;img/src=x/onerror=alert(2)&gt;"' in preview


# --- publish ------------------------------------------------------------------------------------


def test_publish_with_lint_errors_is_refused_with_the_list(client, auth, admin, imported, courses_dir, edit):
    disk = (courses_dir / LESSON).read_text()
    edit(LESSON, BROKEN, admin)
    auth.login("admin1")
    page = client.get("/author/").get_data(as_text=True)
    response = client.post("/author/publish/tiny-course", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert f"{LESSON}:4:" in response.get_data(as_text=True)
    assert (courses_dir / LESSON).read_text() == disk
    assert draft_count() == 1


def test_save_and_publish(client, auth, teacher, courses_dir):
    auth.login("teacher1")
    form = editor_form(client, LESSON)
    response = client.post(f"/author/edit/{LESSON}", data={**form, "text": NEW_TEXT, "action": "publish"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/author/edit/{LESSON}")
    assert (courses_dir / LESSON).read_text() == NEW_TEXT
    db.session.expire_all()
    assert db.session.scalar(sa.select(Lesson.title).where(Lesson.key == "l-one")) == "Первый урок, правка"
    assert draft_count() == 0


def test_save_and_publish_refused_keeps_the_draft(client, auth, admin, imported, courses_dir):
    disk = (courses_dir / LESSON).read_text()
    auth.login("admin1")
    form = editor_form(client, LESSON)
    response = client.post(f"/author/edit/{LESSON}", data={**form, "text": BROKEN, "action": "publish"})
    assert response.status_code == 422
    assert (courses_dir / LESSON).read_text() == disk
    assert open_for_edit(LESSON).text == BROKEN


def test_publish_over_a_file_changed_on_disk_shows_the_conflict(
    client, auth, admin, imported, courses_dir, edit
):
    edit(LESSON, NEW_TEXT, admin)
    pushed = "---\nid: l-one\ntitle: Из git\n---\nПравка из git.\n"
    (courses_dir / LESSON).write_text(pushed)
    auth.login("admin1")
    editor = client.get(f"/author/edit/{LESSON}").get_data(as_text=True)
    assert "Правка из git." in editor  # the editor flags the change and shows the disk version
    response = client.post("/author/publish/tiny-course", data={"csrf_token": csrf_from(editor)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Правка из git." in page and "Новый **текст**." in page
    assert (courses_dir / LESSON).read_text() == pushed
    db.session.rollback()
    assert db.session.scalar(sa.select(Lesson.title).where(Lesson.key == "l-one")) == "Первый урок"
    assert open_for_edit(LESSON).disk_changed


def test_publish_needs_csrf(client, auth, admin, imported, edit):
    edit(LESSON, NEW_TEXT, admin)
    auth.login("admin1")
    assert client.post("/author/publish/tiny-course").status_code == 400
    assert client.get("/author/publish/tiny-course").status_code == 405
    assert draft_count() == 1


# --- preview as a candidate ------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (LESSON, "Агитационный материал должен содержать выходные данные."),
        (QUIZ, "Где должны находиться средства избирательного фонда?"),
        (SCENARIO, "Опять агитаторы?"),
        (ASSIGNMENT, "</table>"),
    ],
)
def test_preview_as_candidate_records_nothing(client, auth, teacher, make_user, rel, expected):
    make_user("admin1", role="admin")
    auth.login("admin1")
    db.session.expire_all()
    before = row_counts()
    for published in ("", "?published=1"):
        response = client.get(f"/author/candidate/{rel}{published}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert expected in page
        # every control sits in a disabled fieldset, and no form posts anywhere
        assert 'method="post"' not in page.split('<main id="main"')[1]
        assert "<fieldset disabled" in page
    db.session.expire_all()
    assert row_counts() == before


def test_preview_as_candidate_shows_the_draft(client, auth, admin, imported, edit):
    edit(LESSON, NEW_TEXT, admin)
    auth.login("admin1")
    assert "<strong>текст</strong>" in client.get(f"/author/candidate/{LESSON}").get_data(as_text=True)
    published = client.get(f"/author/candidate/{LESSON}?published=1").get_data(as_text=True)
    assert "<strong>текст</strong>" not in published
    assert "Агитационный материал" in published


def test_preview_as_candidate_pages_through_the_course(client, auth, admin, imported):
    auth.login("admin1")
    page = client.get("/author/candidate/tiny-course/01-one/02-second.md").get_data(as_text=True)
    assert f'rel="prev" href="/author/candidate/{LESSON}"' in page
    assert 'rel="next" href="/author/candidate/tiny-course/02-two/01-third.md"' in page


def test_preview_as_candidate_of_a_module_file_is_404(client, auth, admin, imported):
    auth.login("admin1")
    assert client.get("/author/candidate/tiny-course/01-one/module.md").status_code == 404


def test_preview_as_candidate_of_a_survey_shows_its_questions_off(client, auth, admin, imported, edit):
    edit(LESSON, SURVEY, admin)  # the draft turns the lesson's file into a survey
    auth.login("admin1")
    db.session.expire_all()
    before = row_counts()
    page = client.get(f"/author/candidate/{LESSON}").get_data(as_text=True)
    main = page.split('<main id="main"')[1]
    assert "Этот опрос анонимный" in main
    for number, prompt in enumerate(["Как вы оцениваете семинар?", "Какой формат вам ближе?"], start=1):
        assert f"Вопрос {number}" in main and prompt in main
    assert '<input type="checkbox" name="q-temy" value="finansy">' in main
    assert re.search(r"<fieldset disabled[^>]*>\s*<legend", main)
    assert 'method="post"' not in main
    assert "<script>alert" not in main and "Что изменить?" in main
    db.session.expire_all()
    assert row_counts() == before

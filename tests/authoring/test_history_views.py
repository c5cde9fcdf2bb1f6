"""History pages through the test client: who may see and restore, the diff, conflicts."""

from __future__ import annotations

import re

import pytest

from lms.authoring import history
from lms.authoring.drafts import get_draft
from lms.authoring.publish import publish_course
from lms.extensions import db
from tests.authoring.conftest import LESSON

V2 = "---\nid: l-one\ntitle: Первый урок\n---\nВторая редакция.\n"
V3 = "---\nid: l-one\ntitle: Первый урок\n---\nТретья редакция, <b>с тегом</b>.\n"
HISTORY = f"/author/history/{LESSON}"


@pytest.fixture
def published(app, imported, teacher, edit) -> list[int]:
    """Two publishes of the lesson by its instructor; the ids of version 1 and version 2."""
    for text in (V2, V3):
        edit(LESSON, text, teacher)
        publish_course("tiny-course", teacher)
        db.session.commit()
    return [version.row.id for version in reversed(history.file_history(LESSON))]


def _token(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]+)"', html)
    assert match, "no restore form"
    return match.group(1)


def test_history_lists_each_publish(client, auth, published, teacher):
    auth.login("teacher1")
    html = client.get(HISTORY).get_data(as_text=True)
    assert html.count('class="card history-version"') == 2
    assert "Версия 2" in html and "Версия 1" in html
    assert f"/author/versions/{published[0]}" in html
    assert html.count("teacher1") >= 2  # who published each version
    assert history.file_history(LESSON)[0].row.new_hash[:12] in html


def test_history_says_when_git_is_pending(client, auth, git_courses, imported, teacher, edit):
    hook = git_courses / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    edit(LESSON, V2, teacher)
    publish_course("tiny-course", teacher)
    db.session.commit()  # the hook refuses the git commit that follows
    auth.login("teacher1")
    html = client.get(HISTORY).get_data(as_text=True)
    assert "ожидает: сохранено, но ещё не в git" in html
    hook.unlink()
    edit(LESSON, V3, teacher)
    publish_course("tiny-course", teacher)
    db.session.commit()
    html = client.get(HISTORY).get_data(as_text=True)
    assert "ожидает: сохранено" not in html
    for version in history.file_history(LESSON):
        assert f'<code title="{version.publication.git_commit}">' in html


def test_diff_shows_removed_and_added_lines_escaped(client, auth, published, teacher):
    auth.login("teacher1")
    html = client.get(f"/author/versions/{published[1]}").get_data(as_text=True)
    assert re.search(r"<del>.*Вторая редакция\.</del>", html)
    assert re.search(r"<ins>.*Третья редакция, &lt;b&gt;с тегом&lt;/b&gt;\.</ins>", html)
    assert "<b>с тегом</b>" not in html
    assert f'href="/author/versions/{published[0]}"' in html  # to the older version


def test_the_first_version_diffs_against_the_text_before_it(client, auth, courses_dir, published, teacher):
    auth.login("teacher1")
    html = client.get(f"/author/versions/{published[0]}").get_data(as_text=True)
    assert re.search(r"<ins>.*Вторая редакция\.</ins>", html)
    assert "<del>" in html  # the fixture's original body went


def test_restore_makes_a_draft_and_leaves_the_disk(client, auth, courses_dir, published, teacher):
    auth.login("teacher1")
    token = _token(client.get(HISTORY).get_data(as_text=True))
    response = auth.post(f"/author/versions/{published[0]}/restore", {"token": token}, page=HISTORY)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/author/edit/{LESSON}")
    editor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Вторая редакция." in editor and "Третья редакция" not in editor
    db.session.rollback()
    assert get_draft(LESSON).text == V2
    assert (courses_dir / LESSON).read_text(encoding="utf-8") == V3
    assert 'id="history-draft"' in client.get(HISTORY).get_data(as_text=True)


def test_restore_over_a_newer_draft_shows_both_versions(client, auth, published, teacher, admin, edit):
    auth.login("teacher1")
    token = _token(client.get(HISTORY).get_data(as_text=True))
    edit(LESSON, "---\nid: l-one\ntitle: Первый урок\n---\nЧерновик коллеги.\n", admin)
    response = auth.post(f"/author/versions/{published[0]}/restore", {"token": token}, page=HISTORY)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="restore-conflict"' in html and "Вторая редакция." in html and "Черновик коллеги." in html
    db.session.rollback()
    assert "Черновик коллеги" in get_draft(LESSON).text
    # the conflict page's own form carries the fresh state: restoring from it is deliberate
    again = auth.post(f"/author/versions/{published[0]}/restore", {"token": _token(html)}, page=HISTORY)
    assert again.status_code == 302
    db.session.rollback()
    assert get_draft(LESSON).text == V2


def test_restore_is_a_post_with_csrf(client, auth, published, teacher):
    auth.login("teacher1")
    path = f"/author/versions/{published[0]}/restore"
    assert client.get(path).status_code == 405
    assert client.post(path, data={"token": "x"}).status_code == 400
    db.session.rollback()
    assert get_draft(LESSON) is None


def test_admins_may_see_and_restore(client, auth, published, admin):
    auth.login("admin1")
    html = client.get(HISTORY).get_data(as_text=True)
    assert client.get(f"/author/versions/{published[1]}").status_code == 200
    response = auth.post(f"/author/versions/{published[0]}/restore", {"token": _token(html)}, page=HISTORY)
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["candidate", "coordinator", "instructor"])
def test_others_are_refused(client, auth, published, make_user, role):
    make_user("other", role=role)  # an instructor here teaches no course
    auth.login("other")
    assert client.get(HISTORY).status_code == 403
    assert client.get(f"/author/versions/{published[1]}").status_code == 403
    response = auth.post(f"/author/versions/{published[0]}/restore", {"token": "x"}, page="/")
    assert response.status_code == 403
    db.session.rollback()
    assert get_draft(LESSON) is None


def test_anonymous_is_sent_to_login(client, published):
    response = client.get(HISTORY)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/author/history/tiny-course/../tiny-course/01-one/01-first.md",
        "/author/history/tiny-course/01-one/nothing-here.md",
        "/author/history/tiny-course/01-one/img/pic.png",
        "/author/versions/99999",
    ],
)
def test_unknown_or_unsafe_paths_are_not_found(client, auth, published, admin, path):
    auth.login("admin1")
    assert client.get(path).status_code == 404

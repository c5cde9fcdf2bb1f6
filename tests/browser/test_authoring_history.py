"""An instructor opens a file's history, reads what a publish changed and restores an earlier
version as a draft (the file on disk stays as published)."""

from __future__ import annotations

import subprocess

import sqlalchemy as sa
from playwright.sync_api import expect

from lms.authoring.drafts import get_draft, open_for_edit, save_draft
from lms.authoring.publish import publish_course
from lms.content.models import Course
from lms.content.staff import add_instructor
from lms.extensions import db
from tests.browser.conftest import assert_accessible, assert_fits

PASSWORD = "correct-horse-battery"
LESSON = "tiny-course/01-one/01-first.md"
V1 = "---\nid: l-one\ntitle: Первый урок\n---\nПервая редакция урока.\n"
V2 = "---\nid: l-one\ntitle: Первый урок\n---\nВторая редакция урока, <script>alert(1)</script>.\n"


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def test_instructor_restores_an_old_version_as_a_draft(
    page, live_server, login, make_user, imported, courses_dir
):
    git(courses_dir, "init", "-q")
    git(courses_dir, "add", "-A")
    git(courses_dir, "-c", "user.name=Git", "-c", "user.email=git@example.org", "commit", "-q", "-m", "start")
    teacher = make_user("irina", role="instructor", full_name="Ирина Петрова", email="irina@example.org")
    add_instructor(db.session.scalar(sa.select(Course).where(Course.folder == "tiny-course")), teacher)
    for text in (V1, V2):  # two publishes, through the service
        save_draft(LESSON, text, open_for_edit(LESSON).token, teacher)
        publish_course("tiny-course", teacher)
    db.session.commit()
    head = git(courses_dir, "rev-parse", "HEAD").strip()

    login("irina", PASSWORD)
    page.goto(f"{live_server}/author/history/{LESSON}")
    expect(page.get_by_role("heading", name="История файла", level=1)).to_be_visible()
    newest = page.get_by_role("region", name="Версия 2")
    expect(newest).to_contain_text("Ирина Петрова")
    expect(newest).to_contain_text("сейчас на диске")
    expect(newest).to_contain_text(head[:12])
    expect(page.get_by_role("region", name="Версия 1")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    newest.get_by_role("link", name="Изменения в версии 2").click()
    expect(page.get_by_role("heading", name="Изменения в версии 2")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.locator("del")).to_contain_text("Первая редакция урока.")
    expect(table.locator("ins")).to_contain_text("<script>alert(1)</script>")  # shown as text
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Версия 1 (старше)").click()
    expect(page.get_by_role("heading", name="Изменения в версии 1")).to_be_visible()
    page.get_by_role("button", name="Восстановить версию 1 как черновик").click()
    expect(page.get_by_text("Версия восстановлена как черновик")).to_be_visible()
    expect(page.locator("#source")).to_have_value(V1)  # the editor opens on the restored draft
    page.get_by_role("link", name="История файла").click()
    expect(page.get_by_text("У файла есть неопубликованный черновик")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)

    db.session.rollback()
    assert get_draft(LESSON).text == V1
    assert (courses_dir / LESSON).read_text(encoding="utf-8") == V2  # nothing written to disk

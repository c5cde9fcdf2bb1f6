"""The course page reads its reader in one statement and caches the outline for everybody: what
is cached is content only, each reader sees their own progress, and an import shows at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import LoginSession
from lms.content.models import Course, Lesson
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress.services import complete_lesson
from tests.content.test_gates import add_front_matter
from tests.statements import Statements

COURSE = "/courses/tiny-course"
LESSONS = f"{COURSE}/lessons"


def rows(html: str) -> dict[str, str]:
    """Each outline row by the title it lists: its link or "not open yet", minutes and status."""
    found = {}
    for row in re.findall(r'<li class="lesson-row">(.*?)</li>', html, re.S):
        title = re.search(r"<(?:a[^>]*|span)>([^<]+)</", row).group(1)
        found[title] = " ".join(row.split())
    return found


def status(row: str) -> str | None:
    match = re.search(r'class="status (status-\w+)"', row)
    return match.group(1) if match else None


def lesson(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def test_anonymous_and_signed_out_readers_go_to_login(client, auth, imported, make_user):
    response = client.get(COURSE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    user = make_user("anna")
    auth.login("anna")
    assert client.get(COURSE).status_code == 200
    db.session.execute(
        sa.update(LoginSession).where(LoginSession.user_id == user.id).values(revoked_at=sa.func.now())
    )
    db.session.commit()
    assert client.get(COURSE).status_code == 302


def test_an_enrolled_reader_s_page_is_one_statement(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    auth.post(f"{COURSE}/start", page=COURSE)
    client.get(f"{LESSONS}/l-two")
    assert client.get(COURSE).status_code == 200  # the outline is cached from here on
    with Statements() as statements:
        html = client.get(COURSE).get_data(as_text=True)
    assert statements.verbs == ["SELECT"], statements.sql
    assert 'value="33"' in html and status(rows(html)["Второй урок"]) == "status-done"


def test_the_cached_outline_never_carries_one_reader_s_progress_to_another(client, auth, imported, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    auth.post(f"{COURSE}/start", page=COURSE)
    auth.post(f"{LESSONS}/l-one/complete", page=f"{LESSONS}/l-one")
    client.get(f"{LESSONS}/l-three")  # opened, not done
    html = client.get(COURSE).get_data(as_text=True)
    anna = rows(html)
    assert [status(anna[title]) for title in ("Первый урок", "Второй урок", "Третий урок")] == [
        "status-done",
        "status-new",
        "status-started",
    ]
    assert "Пройдено 1 из 2" in html and "Пройдено 0 из 1" in html
    assert f'<a class="button primary" href="{LESSONS}/l-two">Продолжить</a>' in html

    auth.logout()
    auth.login("boris")
    html = client.get(COURSE).get_data(as_text=True)
    assert "status-" not in html and "<progress" not in html  # not enrolled: no progress at all
    assert "Начать курс" in html and "Пройдено 0 из 2" in html
    auth.post(f"{COURSE}/start", page=COURSE)
    html = client.get(COURSE).get_data(as_text=True)
    assert {status(row) for row in rows(html).values()} == {"status-new"}
    assert f'<a class="button primary" href="{LESSONS}/l-one">Начать</a>' in html

    auth.logout()
    auth.login("anna")
    html = client.get(COURSE).get_data(as_text=True)
    assert status(rows(html)["Первый урок"]) == "status-done" and 'value="33"' in html


def test_staff_see_the_outline_without_progress_or_a_start_button(client, auth, imported, make_user):
    make_user("anna")
    make_user("igor", role="instructor")
    auth.login("anna")
    auth.post(f"{COURSE}/start", page=COURSE)
    client.get(COURSE)
    auth.logout()
    auth.login("igor")
    html = client.get(COURSE).get_data(as_text=True)
    assert f'href="{LESSONS}/l-three"' in html
    assert "status-" not in html and "<progress" not in html and "Начать курс" not in html
    assert "Пройдено 0 из 2" in html


def edit_minutes(root: Path) -> str:
    path = root / "tiny-course" / "01-one" / "01-first.md"
    path.write_text(path.read_text(encoding="utf-8").replace("minutes: 10", "minutes: 25"), encoding="utf-8")
    return "25 мин"


def edit_module(root: Path) -> str:
    path = root / "tiny-course" / "02-two" / "module.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"title: .*", "title: Модуль с новым названием", text, count=1), encoding="utf-8")
    return "Модуль с новым названием"


def edit_title(root: Path) -> str:
    path = root / "tiny-course" / "02-two" / "01-third.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Третий урок", "Урок о выводах"), encoding="utf-8"
    )
    return "Урок о выводах"


def edit_introduction(root: Path) -> str:
    path = root / "tiny-course" / "course.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nНовый абзац введения.\n", encoding="utf-8")
    return "Новый абзац введения."


@pytest.mark.parametrize("edit", [edit_minutes, edit_module, edit_title, edit_introduction])
def test_an_import_shows_on_the_page_at_once(client, auth, imported, make_user, courses_dir, edit):
    make_user("anna")
    auth.login("anna")
    assert client.get(COURSE).status_code == 200  # cached
    shown = edit(courses_dir)
    sync_tree(courses_dir)
    db.session.commit()
    assert shown in client.get(COURSE).get_data(as_text=True)


def stamp_after_import(courses_dir: Path) -> tuple:
    """The course's updated_at before and after importing the tree again."""
    before = db.session.scalar(sa.select(Course.updated_at).where(Course.key == "tiny-course"))
    sync_tree(courses_dir)
    db.session.commit()
    return before, db.session.scalar(sa.select(Course.updated_at).where(Course.key == "tiny-course"))


def test_an_unchanged_import_keeps_the_course_s_stamp(app, imported, courses_dir):
    before, after = stamp_after_import(courses_dir)
    assert after == before


def test_an_item_gone_leaves_the_outline_and_later_imports_keep_the_stamp(
    client, auth, imported, make_user, courses_dir
):
    """An item someone opened is archived, not deleted; the archived row is no change next time."""
    make_user("anna")
    auth.login("anna")
    client.get(f"{LESSONS}/l-two")
    assert "Второй урок" in rows(client.get(COURSE).get_data(as_text=True))
    module = courses_dir / "tiny-course" / "01-one" / "module.md"
    module.write_text(module.read_text(encoding="utf-8").replace("  - 02-second.md\n", ""), encoding="utf-8")
    (courses_dir / "tiny-course" / "01-one" / "02-second.md").unlink()
    sync_tree(courses_dir)
    db.session.commit()
    html = client.get(COURSE).get_data(as_text=True)
    assert "Второй урок" not in rows(html) and "Пройдено 0 из 1" in html
    before, after = stamp_after_import(courses_dir)
    assert after == before


def test_readers_with_other_locks_see_their_own_outline(client, auth, courses_dir, make_user):
    """The first module opens after the second: closed to one reader (whose way on skips it),
    open to another who did the second."""
    add_front_matter(courses_dir / "tiny-course" / "01-one" / "module.md", "requires:\n  - module: m-two")
    sync_tree(courses_dir)
    db.session.commit()
    make_user("anna")
    boris = make_user("boris")
    complete_lesson(boris, lesson("l-three"))
    db.session.commit()

    auth.login("anna")
    auth.post(f"{COURSE}/start", page=COURSE)
    html = client.get(COURSE).get_data(as_text=True)
    assert "Этот модуль пока закрыт" in html and "Пройдите модуль" in html
    assert "пока закрыт" in rows(html)["Первый урок"] and f'href="{LESSONS}/l-one"' not in html
    assert f'<a class="button primary" href="{LESSONS}/l-three">Начать</a>' in html

    auth.logout()
    auth.login("boris")
    html = client.get(COURSE).get_data(as_text=True)
    assert "Этот модуль пока закрыт" not in html and f'href="{LESSONS}/l-one"' in html
    assert status(rows(html)["Третий урок"]) == "status-done"
    assert f'<a class="button primary" href="{LESSONS}/l-one">Продолжить</a>' in html

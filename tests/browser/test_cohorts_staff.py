"""Cohort and course staff journeys: rename a cohort and remove a member; an admin assigns an
instructor, who then sees only that course's queue and candidates. Every page checked with axe-core
and at 320 px, in Russian and once in English."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress import cohorts
from lms.progress import services as progress
from tests.admin.staff.conftest import app, courses_dir, work  # noqa: F401  (fixtures: two exercise courses)
from tests.browser.conftest import assert_accessible, assert_fits

PASSWORD = "correct-horse-battery"


def check(page: Page) -> None:
    """The page as it is: no axe-core violation, and no sideways scrolling at 320 px."""
    assert_accessible(page)
    assert_fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})


def to_english(page: Page) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def to_russian(page: Page) -> None:
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_rename_a_cohort_and_remove_a_member(page, live_server, login, imported, make_user):
    course = db.session.scalar(sa.select(Course).where(Course.key == "ex-course"))
    cohort = cohorts.create_cohort("Москва-весна", region_code="77", campaign="Весна")
    cohorts.set_course(cohort, course, date(2099, 6, 30))
    anna = make_user("anna", region="77", full_name="Анна Петрова")
    boris = make_user("boris", region="77", full_name="Борис Иванов")
    cohorts.add_members(cohort, [anna, boris])
    progress.complete_lesson(anna, db.session.scalar(sa.select(Lesson).where(Lesson.key == "ex-urok")))
    make_user("pavel", role="coordinator", region="77", full_name="Павел")
    db.session.commit()

    login("pavel", PASSWORD)  # a regional coordinator manages his region's cohorts
    page.get_by_role("link", name="Администрирование").click()
    page.get_by_role("link", name="Группы").click()
    expect(page.get_by_role("heading", name="Группы", exact=True)).to_be_visible()
    check(page)
    page.get_by_role("link", name="Москва-весна").click()
    expect(page.locator("#member-count")).to_have_text("2")
    expect(page.locator('tr[data-user="anna"]')).to_contain_text("33\u00a0% · в графике")
    check(page)

    page.get_by_text("Название, кампания и даты").click()
    page.get_by_label("Название").fill("Москва-весна-2026")
    page.get_by_label("Дата окончания").fill("2099-07-31")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_role("heading", name="Москва-весна-2026")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Группа сохранена")

    page.once("dialog", lambda dialog: dialog.dismiss())  # "no" to the question: nothing happens
    page.get_by_role("button", name="Убрать Анна Петрова").click()
    expect(page.locator("#member-count")).to_have_text("2")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Убрать Анна Петрова").click()
    expect(page.get_by_role("status")).to_contain_text("прогресс кандидата сохранён")
    expect(page.locator("#member-count")).to_have_text("1")
    expect(page.locator('tr[data-user="anna"]')).to_have_count(0)
    check(page)

    to_english(page)
    expect(page.get_by_role("heading", name="Members (1)")).to_be_visible()
    check(page)
    page.get_by_role("link", name="Cohorts").first.click()
    check(page)


def test_an_assigned_instructor_sees_only_that_course(page, live_server, login, work, make_user):  # noqa: F811
    make_user("root", role="admin", full_name="Админ")
    make_user("igor", role="instructor", full_name="Игорь Петров")

    login("igor", PASSWORD)
    page.get_by_role("link", name="Проверка").click()
    expect(page.locator("#no-courses")).to_be_visible()  # nobody assigned him yet
    check(page)
    page.get_by_role("button", name="Выйти").click()

    login("root", PASSWORD)
    page.get_by_role("link", name="Администрирование").click()
    page.get_by_role("link", name="Преподаватели курсов").click()
    check(page)
    section = page.locator("section", has=page.get_by_role("heading", name="Практика работы с избирателями"))
    section.get_by_label("Преподаватель для курса «Практика работы с избирателями»").select_option(
        label="Игорь Петров (igor)"
    )
    section.get_by_role("button", name="Добавить преподавателя").click()
    expect(page.get_by_role("status")).to_contain_text("Игорь Петров теперь преподаёт")
    expect(section).to_contain_text("Игорь Петров")
    check(page)
    to_english(page)
    check(page)
    to_russian(page)
    page.get_by_role("button", name="Выйти").click()

    login("igor", PASSWORD)
    page.get_by_role("link", name="Проверка").click()
    queue = page.locator("#queue tbody tr")
    expect(queue).to_have_count(2)
    expect(page.locator("#queue")).not_to_contain_text("Вторая практика")
    check(page)
    queue.first.get_by_role("link", name="Открыть").click()
    expect(page).to_have_url(re.compile(r"/review/(submissions|playthroughs)/\d+"))
    response = page.goto(f"{live_server}/review/submissions/{work.submission['ex-course-b']}")
    assert response.status == 404

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Прогресс кандидатов").click()
    expect(page.get_by_role("link", name="Вторая практика")).to_have_count(0)
    check(page)
    page.get_by_role("link", name="Практика работы с избирателями").click()
    expect(page.locator("#progress tbody tr")).to_have_count(1)
    expect(page.locator("#progress")).to_contain_text("Анна Петрова")
    check(page)
    to_english(page)
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Candidates' progress")).to_have_attribute("aria-current", "page")
    check(page)
    menu.get_by_role("link", name="Candidates' progress").click()
    check(page)
    menu.get_by_role("link", name="Review").click()
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    check(page)

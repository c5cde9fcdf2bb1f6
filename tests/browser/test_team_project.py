"""The regional campaign project in the browser: two members of a region edit one draft (and meet
a conflict instead of losing a save), one submits; an expert returns it with a comment; the team
revises and resubmits; the expert accepts, and the project counts for both members."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from lms.content.models import Lesson
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import LessonProgress
from tests.browser.conftest import assert_accessible
from tests.teaching import teach

PASSWORD = "correct-horse-battery"
SAMPLE = Path(__file__).resolve().parents[2] / "courses" / "seminar-2027"
SEMINARS = Path(__file__).resolve().parents[2] / "seminars"
TEAM_PAGE = "/courses/seminar-2027/team-assignments/regionalnyj-proekt"
TOP = {"celi": 2, "auditorii": 2, "kalendar": 2, "riski": 2, "byudzhet": 2, "zakon": 4}


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """The sample seminar course, whose module 02-proekt holds the team assignment."""
    target = tmp_path / "courses"
    shutil.copytree(SAMPLE, target / "seminar-2027")
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    app.config["SEMINARS_DIR"] = str(SEMINARS)  # the course asks for the sample seminar's attendance
    return app


def signed_in(browser: Browser, base: str, username: str) -> Page:
    """A browser context of its own per person, signed in through the real form."""
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("main")).to_be_visible()
    return page


def grade(page: Page, base: str, scores: dict[str, int], decision: str, comment: str = "") -> None:
    page.goto(f"{base}/review")
    page.get_by_role("main").get_by_role("link", name="Проекты регионов").click()
    row = page.locator('tr[data-region="77"]')
    row.get_by_role("link", name="Оценить проект 77").click()
    page.get_by_role("button", name="Начать проверку").click()
    for key, points in scores.items():
        page.locator(f'[name="score-{key}"][value="{points}"]').check()
    if comment:
        page.get_by_label("Общий комментарий").fill(comment)
    page.get_by_role("button", name=decision).click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_a_regional_team_writes_submits_reworks_and_gets_accepted(browser, live_server, imported, make_user):
    anna = make_user("anna", password=PASSWORD, region="77", full_name="Анна Петрова")
    boris = make_user("boris", password=PASSWORD, region="77", full_name="Борис Иванов")
    make_user("igor", password=PASSWORD, role="instructor", full_name="Игорь Эксперт")
    item = db.session.scalar(sa.select(Lesson).where(Lesson.key == "regionalnyj-proekt"))
    for member in (anna, boris):
        progress.enrol(member, item.course)
    db.session.commit()
    teach("igor", "seminar-2027")

    a = signed_in(browser, live_server, "anna")
    b = signed_in(browser, live_server, "boris")
    a.goto(live_server + TEAM_PAGE)
    b.goto(live_server + TEAM_PAGE)  # both open the same (still empty) draft
    box_a = a.get_by_label("План вашей команды (Markdown)")
    expect(box_a).to_contain_text("## Риски и что может сорвать кампанию")  # the template
    expect(a.locator("#team-members")).to_contain_text("Борис Иванов")
    assert_accessible(a)

    box_a.fill("## Цели\n\nПривлечь 300 волонтёров к маю.")
    a.get_by_role("button", name="Сохранить черновик").click()
    expect(a.get_by_text("Черновик сохранён.")).to_be_visible()

    box_b = b.get_by_label("План вашей команды (Markdown)")
    box_b.fill("## Аудитории\n\nМолодые семьи и пенсионеры.")
    b.get_by_role("button", name="Сохранить черновик").click()
    conflict = b.locator("#conflict")  # Boris's save is refused, nothing lost: both texts are there
    expect(conflict).to_contain_text("Анна Петрова")
    expect(b.locator("#conflict-theirs")).to_contain_text("Привлечь 300 волонтёров к маю.")
    expect(box_b).to_have_value("## Аудитории\n\nМолодые семьи и пенсионеры.")
    assert_accessible(b)
    box_b.fill("## Цели\n\nПривлечь 300 волонтёров к маю.\n\n## Аудитории\n\nМолодые семьи и пенсионеры.")
    b.get_by_role("button", name="Сохранить черновик").click()
    expect(b.get_by_text("Черновик сохранён.")).to_be_visible()
    expect(b.locator("#contributions li")).to_have_count(2)
    expect(b.locator("#contributions li").first).to_contain_text("Борис Иванов")
    b.get_by_role("button", name="Отправить на проверку").click()
    expect(b.locator("#submission-status")).to_have_text("отправлено")

    igor = signed_in(browser, live_server, "igor")
    grade(igor, live_server, {**TOP, "riski": 0}, "Вернуть на доработку", "Добавьте риски и меры.")

    a.goto(live_server + TEAM_PAGE)
    expect(a.locator("#submission-status")).to_have_text("возвращено на доработку")
    expect(a.locator("#grading-comment")).to_have_text("Добавьте риски и меры.")
    box_a = a.get_by_label("План вашей команды (Markdown)")
    box_a.fill(
        box_a.input_value() + "\n\n## Риски\n\nВзлом аккаунтов: двухфакторный вход, ответственный — Анна."
    )
    a.get_by_role("button", name="Отправить на проверку").click()
    expect(a.locator("#submission-status")).to_have_text("отправлено")

    grade(igor, live_server, TOP, "Принять")
    b.goto(live_server + TEAM_PAGE)
    expect(b.locator("#submission-status")).to_have_text("принято")
    expect(b.locator("#team-text")).to_contain_text("двухфакторный вход")

    db.session.rollback()
    done = db.session.scalars(
        sa.select(LessonProgress.user_id).where(
            LessonProgress.lesson_id == item.id, LessonProgress.completed_at.is_not(None)
        )
    )
    assert set(done) == {anna.id, boris.id}
    for page in (a, b, igor):
        page.context.close()

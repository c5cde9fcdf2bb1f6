"""Screenshots for the README: the quiz on a 320 px phone, and the low-vision version of a lesson
and of a coordinator's dashboard.

Runs the app on a throwaway SQLite database with the school's own course (courses/) and a small
demo world (a region's candidates at different stages, one of them in a quiz), serves it on
127.0.0.1 and drives Debian's chromium with Playwright. Writes docs/screenshots/*.png.

    .venv/bin/python bench/screenshots.py            # or: make screenshots

The low-vision version is switched on by the `lv=1` cookie; re-run this after a style change.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import HOST, PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
OUT_DIR = PROJECT_ROOT / "docs" / "screenshots"
PASSWORD = "screenshot-password-1"
COURSE = "osnovy-kampanii"
LESSON = "kalendar-etapy"
QUIZ = "finansy-proverka"  # has ordering and matching questions: the narrowest layouts


def build_world(app) -> None:
    """Migrate, import courses/, and make people: a candidate mid-course, coordinators, progress."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from lms.accounts.services import create_user
    from lms.content.models import Course, Lesson
    from lms.content.sync import sync_tree
    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.progress import cohorts, rollups
    from lms.progress import services as progress
    from lms.progress.models import Enrolment

    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    sync_tree(PROJECT_ROOT / "courses")
    db.session.commit()
    course = db.session.scalar(sa.select(Course).where(Course.key == COURSE))
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.kind == "lesson").order_by(Lesson.id)
    ).all()
    create_user("coordinator", PASSWORD, "coordinator", region_code="77", full_name="Павел Смирнов")
    cohort = cohorts.create_cohort("Москва · весна", region_code="77", campaign="Сентябрь")
    cohorts.set_course(cohort, course, date.today() + timedelta(days=21))
    names = ["Анна Петрова", "Борис Иванов", "Вера Кузнецова", "Глеб Орлов", "Дарья Соколова", "Егор Лебедев"]
    people = [
        create_user(f"candidate{i}", PASSWORD, "candidate", region_code="77", full_name=name)
        for i, name in enumerate(names)
    ]
    cohorts.add_members(cohort, people)
    for index, person in enumerate(people):
        done = len(lessons) if index < 3 else index  # three finished, the others on their way
        for lesson in lessons[:done]:
            progress.complete_lesson(person, lesson)
    db.session.flush()
    # Spread the finishes over the past weeks, so the chart has more than one bar.
    # The course also has quizzes and an assignment: say the first three finished them, over the
    # past weeks, so the chart has more than one bar.
    for weeks_ago, person in enumerate(people[:3], start=1):
        enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == person.id))
        enrolment.completed_at = utcnow() - timedelta(weeks=weeks_ago)
        enrolment.status = "completed"
    rollups.rebuild_stats()
    db.session.commit()


@contextmanager
def serve(app) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    page.get_by_role("button", name="Выйти").wait_for()


def shoot(browser, base: str, out_dir: Path) -> list[Path]:
    written = []

    def context(width: int, *, height: int = 900, low_vision: bool = False):
        ctx = browser.new_context(locale="ru-RU", viewport={"width": width, "height": height})
        if low_vision:
            ctx.add_cookies([{"name": "lv", "value": "1", "domain": HOST, "path": "/"}])
        return ctx

    def save(page, name: str, *, full_page: bool = True) -> None:
        path = out_dir / name
        page.screenshot(path=str(path), full_page=full_page)
        written.append(path)

    phone = context(320, height=640)
    page = phone.new_page()
    sign_in(page, base, "candidate3")
    page.goto(f"{base}/courses/{COURSE}/quizzes/{QUIZ}")
    page.get_by_role("button", name="Начать тест").click()
    page.locator("#quiz-form").wait_for()
    save(page, "quiz-320.png", full_page=False)
    # The matching question: each pair stacked, its list as wide as the phone.
    matching = page.locator("fieldset.question", has=page.locator(".matching")).first
    for number, select in enumerate(matching.locator("select").all()[:2], start=1):
        select.select_option(index=number)  # two answered, to show a long choice in a narrow list
    matching.evaluate("el => el.scrollIntoView({block: 'center'})")
    save(page, "quiz-matching-320.png", full_page=False)
    phone.close()

    low_vision = context(1280, low_vision=True)
    page = low_vision.new_page()
    sign_in(page, base, "candidate4")
    page.goto(f"{base}/courses/{COURSE}/lessons/{LESSON}")
    save(page, "lesson-low-vision.png", full_page=False)
    page.get_by_role("button", name="Выйти").click()
    sign_in(page, base, "coordinator")
    page.goto(f"{base}/dashboard/regions/77")
    save(page, "dashboard-low-vision.png")
    low_vision.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for the PNG files")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from lms import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'screens.sqlite3'}",
                "COURSES_DIR": str(PROJECT_ROOT / "courses"),
                "UPLOAD_DIR": str(Path(folder) / "uploads"),
                "SECRET_KEY": "screenshots-only",
            }
        )
        with app.app_context():
            build_world(app)
        with serve(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for path in shoot(browser, base, args.out):
                    print(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)
            finally:
                browser.close()


if __name__ == "__main__":
    main()

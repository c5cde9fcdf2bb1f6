"""The sample course (courses/) can be finished, and finishing it is worth something: a candidate
who has done every other item through the real services (quizzes answered right, each
conversation played to a passing ending, both field assignments accepted by an instructor, the
voter-work module opened by the calendar quiz) reads the last lesson in the browser, sees the
course completed, downloads the certificate, and an anonymous visitor verifies it."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from lms.content.models import Course, Lesson
from lms.exercises import scenario as scenario_rules
from lms.exercises import services as exercises
from lms.extensions import db
from lms.progress import services as progress
from lms.quizzes import services as quizzes
from tests.browser.conftest import assert_accessible, assert_fits
from tests.quizzes.conftest import full_form
from tests.teaching import teach

SAMPLE = Path(__file__).resolve().parents[2] / "courses"
SEMINARS = Path(__file__).resolve().parents[2] / "seminars"
COURSE = "osnovy-kampanii"
LAST_LESSON = "cifra-kommunikaciya"  # the last lesson of the last module
PASSWORD = "correct-horse-battery"


@pytest.fixture
def app(app):
    app.config["SEMINARS_DIR"] = str(SEMINARS)  # seminar-2027 asks for the sample seminar's attendance
    return app


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    return Path(shutil.copytree(SAMPLE, tmp_path / "courses"))


def passing_path(payload: dict) -> list[int]:
    """Replies that reach a passing ending, found by walking the conversation's graph."""

    def walk(state: dict) -> list[int] | None:
        if state["finished"]:
            return [] if scenario_rules.passes(payload, state) else None
        replies = payload["nodes"][state["node"]]["replies"]
        for index in range(len(replies)):
            rest = walk(scenario_rules.apply_choice(payload, state, index, "Своими словами"))
            if rest is not None:
                return [index, *rest]
        return None

    path = walk(scenario_rules.initial_state(payload))
    assert path is not None, "the conversation has no passing path"
    return path


def best_scores(payload: dict) -> dict[str, int]:
    return {
        criterion["key"]: max(level["points"] for level in criterion["levels"])
        for criterion in payload["rubric"]
    }


def finish_all_but(candidate, reviewer, last_key: str) -> None:
    course = db.session.scalar(sa.select(Course).where(Course.key == COURSE))
    items = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
    ).all()
    for item in sorted(items, key=lambda lesson: (lesson.module.position, lesson.position)):
        if item.key == last_key:
            continue
        if item.kind == "lesson":
            progress.complete_lesson(candidate, item)
        elif item.kind == "quiz":
            attempt = quizzes.start_attempt(candidate, item)
            quizzes.submit_attempt(attempt, full_form(item, attempt, right=True))
        elif item.kind == "scenario":
            playthrough = exercises.start_playthrough(candidate, item)
            for step, reply in enumerate(passing_path(playthrough.snapshot.payload)):
                exercises.choose_reply(playthrough, step, reply, "Своими словами")
        else:
            words = " ".join(["слово"] * ((item.payload.get("words") or {}).get("min") or 10))
            submission = exercises.save_submission(
                candidate, item, text=words, uploads=[], remove_ids=[], submit=True
            )
            exercises.claim_submission(submission, reviewer)
            exercises.grade_submission(
                submission,
                reviewer,
                scores=best_scores(submission.snapshot.payload),
                criterion_comments={},
                comment="Хорошо.",
                decision="accept",
                expected_version=submission.version,
            )
        db.session.commit()


def test_a_candidate_finishes_the_sample_course_and_a_visitor_verifies_the_certificate(
    page, live_server, login, imported, make_user
):
    anna = make_user("anna", full_name="Анна Петрова")
    igor = make_user("igor", role="instructor")
    teach("igor")
    finish_all_but(anna, igor, LAST_LESSON)

    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/{COURSE}/lessons/{LAST_LESSON}")
    page.get_by_role("button", name="Отметить как пройденный").click()
    expect(page.get_by_text("Курс пройден. Отличная работа!")).to_be_visible()
    page.goto(live_server + "/")
    expect(page.get_by_text(re.compile(r"Курс завершён \d+"))).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать сертификат (PDF)").first.click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = pdf.pages[0].extract_text()
    assert "Анна Петрова" in text and "Основы избирательной кампании" in text
    code = re.search(r"Код проверки: (\S+)", text).group(1)

    visitor = page.context.browser.new_context(locale="ru-RU")
    try:
        public = visitor.new_page()
        public.goto(f"{live_server}/verify")
        public.get_by_label("Код проверки").fill(code)
        public.get_by_role("button", name="Проверить").click()
        expect(public.get_by_role("main")).to_contain_text("Анна Петрова")
        expect(public.get_by_role("main")).to_contain_text("Основы избирательной кампании")
        assert_accessible(public)
    finally:
        visitor.close()

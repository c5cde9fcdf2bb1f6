"""Survey journeys on the sample seminar course: a participant answers the final, anonymous survey
(once); a regional coordinator sees the results of their own region only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lms.content.models import Lesson
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.surveys import services
from lms.surveys.models import SurveyParticipation, SurveyResponse
from tests.browser.conftest import assert_accessible, assert_fits

SAMPLE = Path(__file__).resolve().parents[2] / "courses" / "seminar-2027"
SEMINARS = Path(__file__).resolve().parents[2] / "seminars"
PASSWORD = "correct-horse-battery"
FINAL = "/courses/seminar-2027/surveys/otzyv-itogi"


@pytest.fixture
def app(app):
    app.config["SEMINARS_DIR"] = str(SEMINARS)  # seminar-2027 asks for the sample seminar's attendance
    return app


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(SAMPLE, target / "seminar-2027")
    return target


def final_survey() -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "otzyv-itogi"))


def test_a_participant_answers_the_final_survey_once(page, live_server, login, imported, make_user):
    anna = make_user("anna", region="77")
    login("anna", PASSWORD)
    page.goto(f"{live_server}/courses/seminar-2027")
    page.get_by_role("link", name="Итоговый отзыв о семинаре").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Итоговый отзыв о семинаре")
    expect(page.locator(".survey-privacy")).to_contain_text("Этот опрос анонимный")
    assert_accessible(page)
    assert_fits(page, 320)

    # Sent with a required scale unanswered: the page says which, and keeps what was chosen.
    page.set_viewport_size({"width": 390, "height": 800})
    scales = ["seminar-v-celom", "rabota-s-izbiratelyami", "mobilizaciya", "finansy-i-kommunikaciya"]
    for key in scales:
        page.locator(f'[name="q-{key}"][value="4"]').check()
    page.locator('[name="q-primenenie"][value="mesyac"]').check()
    page.locator('[name="q-luchshee"][value="kollegi"]').check()
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.get_by_text("1 вопрос требует внимания.")).to_be_visible()
    expect(page.locator("#question-proekt .field-error")).to_have_text("Пожалуйста, ответьте на этот вопрос.")
    expect(page.locator('[name="q-primenenie"][value="mesyac"]')).to_be_checked()
    assert_accessible(page)

    page.locator('[name="q-proekt"][value="5"]').check()
    page.locator("#q-chto-uluchshit").fill("Больше времени на работу в региональных командах.")
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.get_by_role("heading", name="Спасибо за ответы!")).to_be_visible()
    expect(page.get_by_text("Спасибо! Ваши ответы сохранены.")).to_be_visible()
    expect(page.get_by_role("button", name="Отправить ответы")).to_have_count(0)
    assert_accessible(page)

    # The form of a second tab, opened before answering, is sent: the first answers stand.
    db.session.rollback()
    survey = final_survey()
    db.session.execute(sa.delete(SurveyParticipation))  # let the form show again, as in that tab
    db.session.commit()
    page.goto(live_server + FINAL)
    db.session.add(SurveyParticipation(survey_id=survey.id, user_id=anna.id))
    db.session.commit()
    for key in [*scales, "proekt"]:
        page.locator(f'[name="q-{key}"][value="1"]').check()
    page.locator('[name="q-primenenie"][value="srazu"]').check()
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.get_by_text("Вы уже ответили на этот опрос")).to_be_visible()

    db.session.rollback()
    [response] = db.session.scalars(sa.select(SurveyResponse)).all()
    assert response.user_id is None and response.region_code == "77"
    assert response.answers["proekt"] == 5 and response.answers["primenenie"] == "mesyac"
    done = db.session.scalar(
        sa.select(LessonProgress.completed_at).where(
            LessonProgress.user_id == anna.id, LessonProgress.lesson_id == survey.id
        )
    )
    assert done is not None  # the survey counts as a done item of the course


def test_a_regional_coordinator_sees_results_for_their_region_only(
    page, live_server, login, imported, make_user
):
    survey = final_survey()
    base = {"q-rabota-s-izbiratelyami": ["4"], "q-mobilizaciya": ["4"], "q-finansy-i-kommunikaciya": ["3"]}
    base |= {"q-proekt": ["5"], "q-primenenie": ["srazu"]}
    for n in range(5):
        form = {**base, "q-seminar-v-celom": ["5"], "q-chto-uluchshit": [f"Москва: пожелание {n}"]}
        services.submit_response(
            make_user(f"msk{n}", region="77"), survey, services.read_answers(survey, form)
        )
    for n in range(6):
        form = {**base, "q-seminar-v-celom": ["2"], "q-chto-uluchshit": [f"Тверь: пожелание {n}"]}
        services.submit_response(
            make_user(f"tver{n}", region="69"), survey, services.read_answers(survey, form)
        )
    db.session.commit()
    make_user("pavel", role="coordinator", region="77")

    login("pavel", PASSWORD)
    page.goto(f"{live_server}{FINAL}")
    page.get_by_role("link", name="Результаты опроса").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Результаты опроса")
    expect(page.locator("#region")).to_be_disabled()
    expect(page.locator("#region")).to_have_value("77")
    expect(page.locator("#stat-responses")).to_have_text("5")
    overall = page.locator("#result-seminar-v-celom")
    expect(overall.locator('[data-option="5"]')).to_have_text("5")
    expect(overall.locator('[data-option="2"]')).to_have_text("0")
    expect(overall.locator("tbody tr").last).to_contain_text(re.compile(r"100\s*%"))
    expect(page.get_by_text("Москва: пожелание 3")).to_be_visible()
    expect(page.get_by_text("Тверь:")).to_have_count(0)
    assert_accessible(page)
    assert_fits(page, 320)

    # Asking for another region by address changes nothing.
    page.goto(f"{live_server}{FINAL}/results?region=69")
    expect(page.locator("#stat-responses")).to_have_text("5")
    expect(page.get_by_text("Тверь:")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Москва: пожелание 0" in text and "Тверь" not in text

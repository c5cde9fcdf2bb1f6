"""Survey pages through the test client: the form, answering once, errors on the form, and the
results and exports for each role (who may, who gets 403 or 404, what each one sees)."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.audit.models import AuditEvent
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.surveys import services
from lms.surveys.models import SurveyParticipation, SurveyResponse
from tests.security.browsers import page_token, signed_in_client
from tests.surveys.conftest import ANONYMOUS, ANONYMOUS_FORM, NAMED, NAMED_FORM
from tests.teaching import teach


def post_form(auth, path: str, form: dict[str, list[str]]):
    data = MultiDict([(key, value) for key, values in form.items() for value in values])
    data.add("csrf_token", auth.csrf(path))
    return auth.client.post(path, data=data)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_anonymous_visitors_are_sent_to_login(client, named):
    response = client.get(NAMED)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_form_is_accessible_fieldsets_with_a_legend_each(client, auth, named, make_user):
    make_user("anna")
    auth.login("anna")
    page = client.get(NAMED).get_data(as_text=True)
    assert page.count("<fieldset") == 4 and page.count("<legend>") == 4
    assert 'role="radiogroup"' in page and 'type="checkbox"' in page and "<textarea" in page
    assert 'name="csrf_token"' in page
    assert "не анонимный" in page  # the page says whether names are kept


def test_a_candidate_answers_once_and_sees_the_thank_you(client, auth, named, make_user):
    make_user("anna")
    auth.login("anna")
    first = post_form(auth, NAMED, NAMED_FORM)
    assert first.status_code == 302 and first.headers["Location"].endswith(NAMED)
    second = post_form(auth, NAMED, {**NAMED_FORM, "q-obshchee": ["1"]})  # a double click, a tab
    assert second.status_code == 302
    assert count(SurveyResponse) == 1 and count(SurveyParticipation) == 1
    assert db.session.scalar(sa.select(SurveyResponse.answers))["obshchee"] == 4
    page = client.get(NAMED).get_data(as_text=True)
    assert "Спасибо за ответы!" in page and "<fieldset" not in page


def test_unanswered_required_questions_come_back_marked(client, auth, named, make_user):
    make_user("anna")
    auth.login("anna")
    response = post_form(auth, NAMED, {"q-temy": ["cifra"], "q-kommentariy": ["Черновик"]})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="field-error"') == 2 and 'aria-invalid="true"' in page
    assert 'value="cifra" checked' in page and "Черновик</textarea>" in page  # nothing typed is lost
    assert count(SurveyResponse) == 0 and count(SurveyParticipation) == 0


def test_staff_see_a_preview_and_may_not_answer(client, auth, named, make_user):
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("igor")
    page = client.get(NAMED).get_data(as_text=True)
    assert "Предпросмотр" in page and "Отправить ответы" not in page
    assert "/results" in page
    assert post_form(auth, NAMED, NAMED_FORM).status_code == 403
    assert count(SurveyResponse) == 0


def _answer_as(app, make_user, survey, form, regions):
    for n, region in enumerate(regions):
        user = make_user(f"r{region}-{n}", region=region, full_name=f"Участник {region}-{n}")
        services.submit_response(user, survey, services.read_answers(survey, form))
    db.session.commit()


def test_results_by_role(client, auth, app, named, make_user):
    _answer_as(app, make_user, named, NAMED_FORM, ["77", "77", "69"])
    make_user("anna")
    make_user("igor", role="instructor")
    make_user("ivan", role="instructor")
    make_user("pavel", role="coordinator", region="77")
    make_user("olga", role="coordinator")
    make_user("root", role="admin")
    teach("igor")
    results = NAMED + "/results"
    expected = {"anna": 403, "ivan": 404, "igor": 200, "pavel": 200, "olga": 200, "root": 200}
    for username, status in expected.items():
        auth.login(username)
        assert client.get(results).status_code == status, username
        auth.logout()


def test_a_regional_coordinator_sees_their_region_only(client, auth, app, named, make_user):
    _answer_as(app, make_user, named, NAMED_FORM, ["77", "77", "69"])
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    page = client.get(NAMED + "/results?region=69").get_data(as_text=True)
    assert '<dd id="stat-responses">2</dd>' in page  # Moscow's two, whatever was asked
    assert "Участник 77-0" in page and "Участник 69-2" not in page
    # The filter shows the one region it is locked to: no "all regions", nothing to apply.
    assert "Все регионы" not in page and "Применить" not in page
    export = client.get(NAMED + "/results.csv?region=69").get_data(as_text=True)
    assert "Участник 77-0" in export and "Участник 69" not in export


def test_a_national_coordinator_filters_by_region(client, auth, app, named, make_user):
    _answer_as(app, make_user, named, NAMED_FORM, ["77", "77", "69"])
    make_user("olga", role="coordinator")
    auth.login("olga")
    assert '<dd id="stat-responses">3</dd>' in client.get(NAMED + "/results").get_data(as_text=True)
    page = client.get(NAMED + "/results?region=69").get_data(as_text=True)
    assert '<dd id="stat-responses">1</dd>' in page
    assert "Все регионы" in page and "Применить" in page
    assert client.get(NAMED + "/results?region=zz").status_code == 404


def test_anonymous_results_of_a_small_group_are_withheld_on_the_page(client, auth, app, anonymous, make_user):
    _answer_as(app, make_user, anonymous, ANONYMOUS_FORM, ["77"] * 5 + ["69"] * 2)
    make_user("olga", role="coordinator")
    auth.login("olga")
    everyone = client.get(ANONYMOUS + "/results").get_data(as_text=True)
    assert '<dd id="stat-responses">7</dd>' in everyone and "Участник" not in everyone
    tver = client.get(ANONYMOUS + "/results?region=69").get_data(as_text=True)
    assert "Меньше 5 ответов" in tver and "stat-responses" not in tver


def test_exports_are_formula_safe_typed_and_audited(client, auth, app, named, make_user):
    form = {**NAMED_FORM, "q-kommentariy": ['=HYPERLINK("http://example.org")']}
    _answer_as(app, make_user, named, form, ["77"])
    make_user("olga", role="coordinator")
    auth.login("olga")
    response = client.get(NAMED + "/results.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data(as_text=True)
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body
    assert "Финансы кампании; Цифровые сервисы" in body  # options by their labels, not ids
    assert "1. Как вы оцениваете день в целом?" in body.splitlines()[0]  # questions by their text
    excel = client.get(NAMED + "/results.csv?dialect=excel-ru")
    assert excel.status_code == 200 and ";" in excel.get_data(as_text=True).splitlines()[0]
    xlsx = client.get(NAMED + "/results.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get(NAMED + "/results.pdf").status_code == 404
    db.session.rollback()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.survey")).all()
    assert [(e.details["format"], e.details["rows"]) for e in events] == [("csv", 1), ("csv", 1), ("xlsx", 1)]


def test_candidates_cannot_export(client, auth, named, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get(NAMED + "/results.csv").status_code == 403


PARALLEL = 6


def test_the_same_answers_sent_from_several_tabs_at_once_are_stored_once(app, anonymous, make_user):
    make_user("anna")
    browsers = [signed_in_client(app, "anna") for _ in range(PARALLEL)]
    tokens = [page_token(browser, ANONYMOUS) for browser in browsers]
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def send(browser, token) -> None:
        data = MultiDict([(key, value) for key, values in ANONYMOUS_FORM.items() for value in values])
        data.add("csrf_token", token)
        barrier.wait()
        try:
            statuses.append(browser.post(ANONYMOUS, data=data).status_code)
        except Exception:  # a propagated exception is what a person sees as a 500
            statuses.append(500)

    threads = [threading.Thread(target=send, args=pair) for pair in zip(browsers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * PARALLEL
    assert count(SurveyResponse) == 1 and count(SurveyParticipation) == 1


def test_opening_a_survey_does_not_count_it_done_even_in_a_course_that_completes_on_view(
    app, client, auth, courses_dir, make_user
):
    course_md = courses_dir / "survey-course" / "course.md"
    course_md.write_text(
        course_md.read_text("utf-8").replace("modules:", "lesson_completion: view\nmodules:"), "utf-8"
    )
    sync_tree(courses_dir)
    db.session.commit()
    anna = make_user("anna")
    auth.login("anna")
    assert client.get(ANONYMOUS).status_code == 200
    db.session.rollback()
    done = db.session.scalar(
        sa.select(sa.func.count()).select_from(LessonProgress).where(LessonProgress.completed_at.is_not(None))
    )
    assert done == 0
    assert post_form(auth, ANONYMOUS, ANONYMOUS_FORM).status_code == 302
    db.session.rollback()
    completed = db.session.scalar(
        sa.select(LessonProgress.user_id).where(LessonProgress.completed_at.is_not(None))
    )
    assert completed == anna.id

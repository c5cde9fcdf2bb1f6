"""Dashboards: what each role sees, scope by region everywhere, exports equal to the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import Region, User
from lms.content.models import Lesson
from lms.extensions import db
from lms.progress import services as progress

REGION_PAGES = [
    "/dashboard/regions/{code}",
    "/dashboard/regions/{code}/export.csv",
    "/dashboard/regions/{code}/export.xlsx",
    "/dashboard/regions/{code}?status=behind&inactive=3",
]


def test_national_overview_counts(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/").get_data(as_text=True)
    row = re.search(r'<tr data-region="77">(.*?)</tr>', html, re.S).group(1)
    assert "<strong>33,3\u00a0%</strong>" in row and "(1/3)" in row
    assert "не начали 1" in row
    tver = re.search(r'<tr data-region="69">(.*?)</tr>', html, re.S).group(1)
    assert "<strong>0\u00a0%</strong>" in tver and "(0/1)" in tver


def test_numbers_follow_the_language_decimal_comma_in_russian_point_in_english(
    client, auth, world, make_user
):
    make_user("olga", role="coordinator")
    auth.login("olga")
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/dashboard/").get_data(as_text=True)
    row = re.search(r'<tr data-region="77">(.*?)</tr>', html, re.S).group(1)
    assert "<strong>33.3%</strong>" in row and "not started 1" in row


def test_the_name_order_follows_the_readers_language(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    regions = db.session.scalars(sa.select(Region)).all()
    for lang in ("ru", "en"):
        with client.session_transaction() as session:
            session["lang"] = lang
        html = client.get("/dashboard/?sort=name").get_data(as_text=True)
        shown = re.findall(r'<tr data-region="([^"]+)">', html)
        expected = [r.code for r in sorted(regions, key=lambda region: region.display_name(lang))]
        assert shown == expected, lang


def test_region_page_lists_candidates_with_filters(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/regions/77").get_data(as_text=True)
    assert len(re.findall(r'<tr data-user="', html)) == 3
    assert "Москва-весна" in html
    assert 'role="img"' in html  # the completion chart
    html = client.get("/dashboard/regions/77?status=not_started").get_data(as_text=True)
    assert re.findall(r'<tr data-user="(\d+)"', html) == [str(world.moscow[2])]
    assert 'id="chart-empty"' in html  # nobody of those not started has completed anything


def test_a_region_without_completions_says_so_instead_of_drawing(client, auth, world, make_user):
    """No chart of nothing: a sentence of normal size (it used to be one huge grey SVG text)."""
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/regions/69").get_data(as_text=True)
    assert 'role="img"' not in html
    assert (
        '<p class="chart-empty" id="chart-empty">'
        "Пока никто не прошёл курс: график появится после первого завершения.</p>"
    ) in html


@pytest.mark.parametrize("template", REGION_PAGES)
def test_regional_coordinator_cannot_see_another_region(client, auth, world, make_user, template):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    assert client.get(template.format(code="77")).status_code == 200
    response = client.get(template.format(code="69"))
    assert response.status_code in (403, 404)
    assert "tver0" not in response.get_data(as_text=True)


def test_regional_coordinator_sees_only_their_region_everywhere(client, auth, world, make_user):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    overview = client.get("/dashboard/").get_data(as_text=True)
    assert 'data-region="77"' in overview and 'data-region="69"' not in overview
    for user_id in world.tver:
        assert client.get(f"/dashboard/candidates/{user_id}").status_code == 404
    assert client.get(f"/dashboard/candidates/{world.moscow[0]}").status_code == 200
    assert client.get("/dashboard/cohorts").status_code == 200  # their region's: see test_cohorts.py


def test_candidates_and_instructors_cannot_open_dashboards(client, auth, world, make_user):
    for name, role in (("anna", "candidate"), ("igor", "instructor")):
        make_user(name, role=role)
        auth.login(name)
        for path in (
            "/dashboard/",
            "/dashboard/regions/77",
            "/dashboard/regions/77/export.csv",
            f"/dashboard/candidates/{world.moscow[0]}",
            "/dashboard/cohorts",
        ):
            assert client.get(path).status_code == 403, (name, path)
        auth.logout()
    assert client.get("/dashboard/").status_code == 302


def test_csv_export_matches_the_page_and_is_safe(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    for code in ("77", "69"):
        page = client.get(f"/dashboard/regions/{code}?status=on_track").get_data(as_text=True)
        shown = len(re.findall(r'<tr data-user="', page))
        response = client.get(f"/dashboard/regions/{code}/export.csv?status=on_track")
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert len(rows) - 1 == shown
    rows = list(
        csv.reader(io.StringIO(client.get("/dashboard/regions/69/export.csv").data.decode("utf-8-sig")))
    )
    name = rows[1][0]
    assert name.startswith("'="), "formula neutralised"
    percent_index = rows[0].index(next(title for title in rows[0] if "%" in title))
    float(rows[1][percent_index])  # a number, not text


def test_region_page_counts_rows_with_the_right_plural(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    assert "<p>1 строка." in client.get("/dashboard/regions/69").get_data(as_text=True)
    assert "<p>3 строки." in client.get("/dashboard/regions/77").get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert "<p>1 row." in client.get("/dashboard/regions/69").get_data(as_text=True)
    assert "<p>3 rows." in client.get("/dashboard/regions/77").get_data(as_text=True)


def test_csv_downloads_say_utf_8_once_and_offer_an_excel_ru_variant(client, auth, world, make_user):
    lesson = db.session.scalar(
        sa.select(Lesson).where(Lesson.course_id == world.course.id).order_by(Lesson.id)
    )
    progress.complete_lesson(db.session.get(User, world.moscow[1]), lesson)
    db.session.commit()
    make_user("olga", role="coordinator")
    auth.login("olga")
    page = client.get("/dashboard/regions/77").get_data(as_text=True)
    assert "/dashboard/regions/77/export.csv?dialect=excel-ru" in page and "CSV для Excel (русский)" in page
    standard = client.get("/dashboard/regions/77/export.csv")
    assert standard.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert standard.headers["Content-Disposition"] == 'attachment; filename="region-77.csv"'
    excel = client.get("/dashboard/regions/77/export.csv?dialect=excel-ru")
    assert excel.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert excel.headers["Content-Disposition"] == 'attachment; filename="region-77-excel-ru.csv"'
    assert excel.data.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(excel.data.decode("utf-8-sig")), delimiter=";")
    assert len(header) == len(next(csv.reader(io.StringIO(standard.data.decode("utf-8-sig")))))
    percents = {row[header.index("Прогресс, %")] for row in rows}
    assert percents == {"100", "33,3", "0"}  # msk0: all done, msk1: one lesson of three, msk2: none
    due = date.today() + timedelta(days=30)
    assert {row[header.index("Срок")] for row in rows} == {f"{due:%d.%m.%Y}"}
    tver = client.get("/dashboard/regions/69/export.csv?dialect=excel-ru").data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(tver), delimiter=";"))[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert client.get("/dashboard/regions/77/export.csv?dialect=lotus").status_code == 404


def test_at_risk_offers_the_excel_ru_csv_too(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    page = client.get("/dashboard/at-risk").get_data(as_text=True)
    assert "/dashboard/at-risk/export.csv?dialect=excel-ru" in page
    response = client.get("/dashboard/at-risk/export.csv?dialect=excel-ru&inactive=7")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.decode("utf-8-sig").split("\r\n")[0].count(";") == 8  # nine columns


def test_candidate_drill_down(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get(f"/dashboard/candidates/{world.moscow[0]}").get_data(as_text=True)
    assert "<td>100\u00a0%</td>" in html and "Крошечный курс" in html


def test_candidate_sees_due_dates(client, auth, world):
    auth.login("msk1")
    html = client.get("/").get_data(as_text=True)
    assert 'id="due-title"' in html


def test_at_risk_lists_not_started_apart(client, auth, world, make_user):
    from datetime import timedelta

    import sqlalchemy as sa

    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.progress.models import Enrolment

    db.session.execute(sa.update(Enrolment).values(enrolled_at=utcnow() - timedelta(days=10)))
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id == world.moscow[1])
        .values(last_activity_at=utcnow() - timedelta(days=9))
    )
    db.session.commit()
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    html = client.get("/dashboard/at-risk").get_data(as_text=True)
    inactive = re.search(r'id="list-inactive">(.*?)</section>', html, re.S).group(1)
    not_started = re.search(r'id="list-not_started">(.*?)</section>', html, re.S).group(1)
    assert f'data-user="{world.moscow[1]}"' in inactive
    assert (
        f'data-user="{world.moscow[2]}"' in not_started and f'data-user="{world.moscow[2]}"' not in inactive
    )
    assert "tver0" not in html and client.get("/dashboard/at-risk?region=69").status_code == 404


def test_heatmap_marks_states_in_text_too(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/courses/tiny-course?region=77").get_data(as_text=True)
    done_row = re.search(rf'<tr data-user="{world.moscow[0]}">(.*?)</tr>', html, re.S).group(1)
    assert "heat-done" in done_row and "✓" in done_row
    fresh_row = re.search(rf'<tr data-user="{world.moscow[2]}">(.*?)</tr>', html, re.S).group(1)
    assert "heat-none" in fresh_row
    module_link = re.search(r'href="(/dashboard/courses/tiny-course\?module=[^"]+)"', html).group(1)
    assert client.get(module_link.replace("&amp;", "&")).status_code == 200


def test_read_only_exercise_pages_are_scoped(client, auth, world, make_user):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    for user_id in world.tver:
        for path in (
            f"/dashboard/candidates/{user_id}/submissions/1",
            f"/dashboard/candidates/{user_id}/playthroughs/1",
        ):
            assert client.get(path).status_code == 404, path
    assert client.get(f"/dashboard/candidates/{world.moscow[0]}/submissions/999").status_code == 404


def _due_form(client, user_id: int) -> tuple[str, str, str]:
    """The drill-down's due-date form for the candidate's first enrolment: (action, prefix, csrf)."""
    html = client.get(f"/dashboard/candidates/{user_id}").get_data(as_text=True)
    action = re.search(r'action="(/dashboard/candidates/\d+/enrolments/\d+/due)"', html).group(1)
    prefix = "due-" + action.split("/")[-2]
    csrf = re.search(rf'name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', html)
    return action, prefix, csrf.group(1)


def _enrolment_of(user_id: int):
    from lms.extensions import db
    from lms.progress.models import Enrolment

    db.session.rollback()
    return db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user_id))


def test_national_coordinator_sets_and_clears_a_personal_due_date(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    user_id = world.moscow[1]
    cohort_due = _enrolment_of(user_id).due_on
    action, prefix, csrf = _due_form(client, user_id)

    response = client.post(
        action, data={f"{prefix}-csrf_token": csrf, f"{prefix}-due_on": "2020-01-15", f"{prefix}-save": "1"}
    )
    assert response.status_code == 302
    enrolment = _enrolment_of(user_id)
    assert (enrolment.due_on, enrolment.due_overridden) == (date(2020, 1, 15), True)
    assert enrolment.status == "overdue"
    html = client.get(f"/dashboard/candidates/{user_id}").get_data(as_text=True)
    assert "2020-01-15" in html and ("личный" in html or "personal" in html)

    response = client.post(action, data={f"{prefix}-csrf_token": csrf, f"{prefix}-reset": "1"})
    assert response.status_code == 302
    enrolment = _enrolment_of(user_id)
    assert (enrolment.due_on, enrolment.due_overridden) == (cohort_due, False)
    assert enrolment.status != "overdue"


@pytest.mark.parametrize("value", ["", "31.02.2026", "not a date", "2026-13-01"])
def test_a_bad_due_date_is_a_field_error(client, auth, world, make_user, value):
    make_user("olga", role="coordinator")
    auth.login("olga")
    user_id = world.moscow[1]
    before = _enrolment_of(user_id).due_on
    action, prefix, csrf = _due_form(client, user_id)
    response = client.post(
        action, data={f"{prefix}-csrf_token": csrf, f"{prefix}-due_on": value, f"{prefix}-save": "1"}
    )
    assert response.status_code == 400
    assert f'id="{prefix}-due_on-error"' in response.get_data(as_text=True)
    assert _enrolment_of(user_id).due_on == before


def test_due_dates_need_csrf_a_manager_and_the_right_candidate(client, auth, world, make_user):
    from lms.accounts.models import User
    from lms.extensions import db
    from lms.progress import cohorts

    make_user("olga", role="coordinator")
    auth.login("olga")
    action, prefix, csrf = _due_form(client, world.moscow[1])
    data = {f"{prefix}-csrf_token": csrf, f"{prefix}-due_on": "2020-01-15", f"{prefix}-save": "1"}
    assert client.post(action, data={**data, f"{prefix}-csrf_token": "forged"}).status_code == 400
    other = action.replace(f"/candidates/{world.moscow[1]}/", f"/candidates/{world.moscow[0]}/")
    assert client.post(other, data=data).status_code == 404  # the enrolment is not that candidate's
    auth.logout()
    # A regional coordinator moves deadlines only in their region's cohorts: not in a national one.
    national = cohorts.create_cohort("Федеральная-1", region_code=None)
    cohorts.set_course(national, world.course, None)
    cohorts.add_member(national, db.session.get(User, world.moscow[1]))
    db.session.commit()
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    html = client.get(f"/dashboard/candidates/{world.moscow[1]}").get_data(as_text=True)
    assert "/due" not in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # his own, valid token
    assert client.post(action, data={**data, f"{prefix}-csrf_token": token}).status_code == 403
    assert _enrolment_of(world.moscow[1]).due_overridden is False
    assert "/due" in client.get(f"/dashboard/candidates/{world.moscow[2]}").get_data(as_text=True)


def _age_world(world) -> None:
    """Everyone enrolled 10 days ago; Moscow's second and Tver's candidate idle for 9 days."""
    from datetime import timedelta

    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.progress.models import Enrolment

    db.session.execute(sa.update(Enrolment).values(enrolled_at=utcnow() - timedelta(days=10)))
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id.in_([world.moscow[1], *world.tver]))
        .values(last_activity_at=utcnow() - timedelta(days=9))
    )
    db.session.commit()


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_at_risk_exports_are_the_lists_in_full_and_safe(client, auth, world, make_user):
    _age_world(world)
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/at-risk").get_data(as_text=True)
    totals = dict(re.findall(r'<h2 id="risk-(\w+)">.*?<span class="muted">\((\d+)\)</span>', html))
    rows = _csv_rows(client.get("/dashboard/at-risk/export.csv"))
    assert len(rows) - 1 == sum(int(total) for total in totals.values())
    inactive = _csv_rows(client.get("/dashboard/at-risk/export.csv?list=inactive"))
    assert len(inactive) - 1 == int(totals["inactive"]) == 2
    names = {row[1] for row in inactive[1:]}
    assert "Кандидат 1" in names
    assert any(name.startswith("'=") for name in names), "Tver's formula name is neutralised"
    assert client.get("/dashboard/at-risk/export.xlsx?list=overdue").status_code == 200
    assert client.get("/dashboard/at-risk/export.csv?list=nope").status_code == 404
    assert client.get("/dashboard/at-risk/export.pdf").status_code == 404


def test_at_risk_export_is_scoped_to_the_coordinators_region(client, auth, world, make_user):
    _age_world(world)
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    rows = _csv_rows(client.get("/dashboard/at-risk/export.csv?list=inactive"))
    assert [row[2] for row in rows[1:]] == ["msk1"]
    assert client.get("/dashboard/at-risk/export.csv?region=69").status_code == 404


def test_failing_a_quiz_twice_puts_a_candidate_on_the_at_risk_list_until_they_pass(
    client, auth, imported, make_user, courses_dir
):
    """The flag is kept by grading in the same transaction and equals a from-scratch recompute."""
    import shutil

    from lms.content.models import Lesson
    from lms.content.sync import sync_tree
    from lms.extensions import db
    from lms.progress import services as progress
    from lms.progress.models import Enrolment
    from lms.quizzes import services as quizzes
    from tests.conftest import FIXTURE_COURSES

    shutil.copytree(FIXTURE_COURSES / "quiz" / "quiz-course", courses_dir / "quiz-course")
    sync_tree(courses_dir)
    db.session.commit()
    quiz = db.session.scalar(sa.select(Lesson).where(Lesson.kind == "quiz"))
    quiz.payload = {**quiz.payload, "policy": {**quiz.payload["policy"], "attempts": 0}}
    user = make_user("stuck", region="77")
    progress.record_view(user, quiz)

    def flag() -> bool:
        return db.session.scalar(
            sa.select(Enrolment.stuck_on_quiz).where(
                Enrolment.user_id == user.id, Enrolment.course_id == quiz.course_id
            )
        )

    def attempt(right: bool) -> None:
        from tests.quizzes.conftest import full_form

        started = quizzes.start_attempt(user, quiz)
        quizzes.submit_attempt(started, full_form(quiz, started, right=right))
        db.session.commit()

    attempt(right=False)
    assert flag() is False  # one failure is not a pattern yet
    attempt(right=False)
    assert flag() is True
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/at-risk").get_data(as_text=True)
    failed = re.search(r'id="list-failed_quiz">(.*?)</section>', html, re.S).group(1)
    assert f'data-user="{user.id}"' in failed

    incremental = db.session.scalars(sa.select(Enrolment.stuck_on_quiz).order_by(Enrolment.id)).all()
    quizzes.refresh_stuck_on_quiz()
    assert db.session.scalars(sa.select(Enrolment.stuck_on_quiz).order_by(Enrolment.id)).all() == incremental
    attempt(right=True)
    assert flag() is False


def test_one_at_risk_list_pages_through_all_its_rows(client, auth, world, make_user, monkeypatch):
    from lms.dashboards import insights

    _age_world(world)
    monkeypatch.setattr(insights, "AT_RISK_LIMIT", 1)
    make_user("olga", role="coordinator")
    auth.login("olga")
    overview = client.get("/dashboard/at-risk").get_data(as_text=True)
    inactive = re.search(r'id="list-inactive">(.*?)</section>', overview, re.S).group(1)
    assert len(re.findall(r'data-user="', inactive)) == 1 and "list=inactive" in inactive
    seen = []
    for page in (1, 2):
        html = client.get(f"/dashboard/at-risk?list=inactive&page={page}").get_data(as_text=True)
        assert 'id="list-overdue"' not in html  # one list alone
        seen += re.findall(r'<tr data-user="(\d+)"', html)
    assert sorted(seen) == sorted({str(world.moscow[1]), *map(str, world.tver)})
    assert client.get("/dashboard/at-risk?list=nope").status_code == 404

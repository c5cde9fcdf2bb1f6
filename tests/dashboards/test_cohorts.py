"""Cohorts: bulk enrolment from CSV (all or nothing, each bad row named) and the browser pages."""

from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.progress import cohorts
from lms.progress.models import Enrolment, RegionCourseStats


def csv_file(tmp_path, text: str):
    path = tmp_path / "enroll.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_enroll_csv_all_or_nothing(runner, imported, make_user, tmp_path):
    make_user("anna", region="77")
    make_user("boris", region="69")
    make_user("igor", role="instructor")
    cohorts.create_cohort("Москва-1", region_code="77")
    db.session.commit()
    bad = csv_file(
        tmp_path,
        "username,cohort,course,due_on\n"
        "anna,Москва-1,tiny-course,2026-09-01\n"
        "boris,Москва-1,tiny-course,\n"
        "igor,Москва-1,tiny-course,\n"
        "nobody,Нет такой,nope,01.09.2026\n"
        "anna,Москва-1,tiny-course,\n",
    )
    result = runner.invoke(args=["lms", "enroll", bad])
    assert result.exit_code == 1
    out = result.output
    assert ":3: 'boris' is from region 69, the cohort from 77" in out
    assert ":4: 'igor' is not a candidate" in out
    assert (
        ":5: unknown user 'nobody'; unknown cohort 'Нет такой'; unknown course 'nope'; due_on '01.09.2026'"
        in out
    )
    assert ":6: the same candidate and course appear twice" in out
    assert "nothing enrolled: 4 bad row(s)" in out
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0

    good = csv_file(
        tmp_path, "\ufeffUsername,Cohort,Course,Due_on\r\nanna,Москва-1,tiny-course,2026-09-01\r\n"
    )
    result = runner.invoke(args=["lms", "enroll", good])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    enrolment = db.session.scalar(sa.select(Enrolment))
    assert enrolment.due_on.isoformat() == "2026-09-01" and enrolment.due_overridden
    stats = db.session.get(RegionCourseStats, ("77", enrolment.course_id))
    assert stats.total == 1


def test_missing_columns_are_reported(runner, imported, tmp_path):
    result = runner.invoke(args=["lms", "enroll", csv_file(tmp_path, "login;group\nanna;x\n")])
    assert result.exit_code == 1 and ":1: missing column(s)" in result.output


def test_cohort_pages(client, auth, imported, make_user):
    make_user("anna", region="77")
    make_user("olga", role="coordinator")
    auth.login("olga")
    response = auth.post("/dashboard/cohorts", {"name": "", "region": "77"}, page="/dashboard/cohorts")
    assert response.status_code == 400 and "field-error" in response.get_data(as_text=True)
    response = auth.post(
        "/dashboard/cohorts",
        {"name": "Москва-осень", "region": "77", "starts_on": "2026-06-01"},
        page="/dashboard/cohorts",
    )
    assert response.status_code == 302
    cohort_url = response.headers["Location"]
    db.session.rollback()
    course_id = db.session.scalar(sa.text("select id from courses"))
    response = auth.post(
        cohort_url, {"course-course": str(course_id), "course-due_on": "2026-08-15"}, page=cohort_url
    )
    assert response.status_code == 302
    response = auth.post(cohort_url, {"members-usernames": "anna\nghost"}, page=cohort_url)
    assert response.status_code == 400 and "ghost" in response.get_data(as_text=True)
    response = auth.post(cohort_url, {"members-usernames": "ANNA\n"}, page=cohort_url)
    assert response.status_code == 302
    db.session.rollback()
    enrolment = db.session.scalar(sa.select(Enrolment))
    assert enrolment.due_on.isoformat() == "2026-08-15" and enrolment.cohort_id is not None

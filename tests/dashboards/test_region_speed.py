"""The region page and the at-risk lists at speed: few statements, rollups equal to the raw rows,
the fast paths equal to the plain queries, and cached parts that never go stale or cross scopes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course, Lesson
from lms.content.services import live_courses
from lms.core.roles import Refused
from lms.core.time import utcnow
from lms.dashboards import insights, region_page, services
from lms.dashboards.risk_page import risk_page
from lms.extensions import db
from lms.progress import rollups
from lms.progress import services as progress
from lms.progress.models import Enrolment, RegionCourseWeek
from tests.statements import Statements


def _age(world) -> None:
    """Everyone enrolled 10 days ago; Moscow's second and Tver's candidate idle for 9 days."""
    db.session.execute(sa.update(Enrolment).values(enrolled_at=utcnow() - timedelta(days=10)))
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id.in_([world.moscow[1], *world.tver]))
        .values(last_activity_at=utcnow() - timedelta(days=9))
    )
    db.session.commit()


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-user="(\d+)"', html)


def test_region_page_and_at_risk_lists_take_few_statements(client, auth, world, make_user):
    make_user("reg", role="coordinator", region="77")
    auth.login("reg")
    _age(world)
    for path, bound in (("/dashboard/regions/77", 7), ("/dashboard/at-risk?region=77", 4)):
        client.get(path)
        with Statements("SELECT|INSERT|UPDATE|DELETE") as seen:
            response = client.get(path)
        assert response.status_code == 200
        assert len(seen.sql) <= bound, (path, seen.sql)
        assert "SELECT" in seen.verbs and set(seen.verbs) == {"SELECT"}  # a GET writes nothing


def test_cached_parts_stay_within_each_coordinators_region(client, auth, world, make_user):
    _age(world)
    make_user("msk", role="coordinator", region="77")
    make_user("tvr", role="coordinator", region="69")
    for _round in range(2):  # the second round is served from the fragments the first one drew
        auth.login("msk")
        moscow_risk = client.get("/dashboard/at-risk").get_data(as_text=True)
        moscow_region = client.get("/dashboard/regions/77").get_data(as_text=True)
        assert client.get("/dashboard/regions/69").status_code == 404
        assert client.get("/dashboard/at-risk?region=69").status_code == 404
        auth.logout()
        auth.login("tvr")
        tver_risk = client.get("/dashboard/at-risk").get_data(as_text=True)
        tver_region = client.get("/dashboard/regions/69").get_data(as_text=True)
        assert client.get("/dashboard/regions/77").status_code == 404
        auth.logout()
        # Idle (the second) and not started (the third): Moscow's own candidates only.
        assert set(_rows(moscow_risk)) == {str(world.moscow[1]), str(world.moscow[2])}
        assert set(_rows(moscow_region)) == {str(user_id) for user_id in world.moscow}
        assert set(_rows(tver_risk)) == set(_rows(tver_region)) == {str(world.tver[0])}
        # The personal parts stay outside the fragments: each page carries its own viewer's form token.
        assert re.search(r'name="csrf_token" value="([^"]+)"', moscow_risk)
        assert re.search(r'name="csrf_token" value="([^"]+)"', tver_risk)


def test_changes_show_at_once_on_both_pages(client, auth, world, make_user):
    _age(world)
    make_user("msk", role="coordinator", region="77")
    auth.login("msk")
    before_region = client.get("/dashboard/regions/77").get_data(as_text=True)
    before_risk = client.get("/dashboard/at-risk").get_data(as_text=True)
    course = db.session.get(Course, world.course.id)
    assert course.title in before_region and course.title in before_risk

    # A re-import renaming the course: the list, the cohort table and the at-risk rows show it.
    course.title = "Новое название курса"
    db.session.commit()
    region_html = client.get("/dashboard/regions/77").get_data(as_text=True)
    risk_html = client.get("/dashboard/at-risk").get_data(as_text=True)
    assert "Новое название курса" in region_html and "Новое название курса" in risk_html

    # A progress event: Moscow's second candidate finishes the course and leaves the inactive list.
    candidate = db.session.get(User, world.moscow[1])
    for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)):
        progress.complete_lesson(candidate, lesson)
    db.session.commit()
    risk_html = client.get("/dashboard/at-risk").get_data(as_text=True)
    inactive = re.search(r'id="list-inactive">(.*?)</section>', risk_html, re.S).group(1)
    assert str(world.moscow[1]) not in _rows(inactive)
    region_html = client.get("/dashboard/regions/77").get_data(as_text=True)
    chart_rows = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td>", region_html)
    assert chart_rows and int(chart_rows[-1][1]) == 2  # two completions in the chart now


def _week_rows() -> dict:
    return rollups.stats_snapshot()["weeks"]


def test_weekly_completions_rollup_follows_events_and_equals_a_rebuild(world):
    course = db.session.get(Course, world.course.id)
    lessons = db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)).all()
    week = rollups.week_of(utcnow())
    assert _week_rows() == {("77", course.id, week): 1}  # Moscow's first finished in the fixture
    candidate = db.session.get(User, world.moscow[1])
    for lesson in lessons:
        progress.complete_lesson(candidate, lesson)
    assert _week_rows() == {("77", course.id, week): 2}
    progress.uncomplete_lesson(candidate, lessons[-1])
    assert _week_rows() == {("77", course.id, week): 1}
    progress.complete_lesson(candidate, lessons[-1])
    progress.change_region(candidate, "69")
    assert _week_rows() == {("77", course.id, week): 1, ("69", course.id, week): 1}
    incremental = rollups.stats_snapshot()
    rollups.rebuild_stats()
    assert rollups.stats_snapshot() == incremental
    assert db.session.scalar(sa.select(sa.func.sum(RegionCourseWeek.completions))) == 2


def test_chart_from_rollups_equals_grouping_the_enrolments(world, make_user):
    viewer = make_user("nat", role="coordinator")
    courses = live_courses()
    course_id = world.course.id
    filters = [
        services.RegionFilters(),
        services.RegionFilters(course=course_id),
        services.RegionFilters(course=999),
    ]
    for code in ("77", "69", "50"):
        for chosen in filters:
            raw = services.region_summary(services.region_enrolments(viewer, code, chosen))
            assert region_page.rollup_summary(viewer, code, chosen, courses) == raw
    # Filters the rollups do not break down by go to the enrolments.
    for chosen in (services.RegionFilters(cohort=world.cohort_id), services.RegionFilters(status="behind")):
        assert region_page.rollup_summary(viewer, "77", chosen, courses) is None
    regional = make_user("tvr", role="coordinator", region="69")
    with pytest.raises(Refused):
        region_page.rollup_summary(regional, "77", services.RegionFilters(), courses)


def test_at_risk_fast_path_equals_the_lists_of_insights(world, make_user, monkeypatch):
    _age(world)
    db.session.execute(
        sa.update(Enrolment).values(due_on=utcnow().date() - timedelta(days=2), status="overdue")
    )
    db.session.execute(
        sa.update(Enrolment).where(Enrolment.user_id == world.moscow[2]).values(stuck_on_quiz=True)
    )
    db.session.commit()
    national = make_user("nat", role="coordinator")
    regional = make_user("msk", role="coordinator", region="77")

    def plain(lists):
        return [(risk.key, [row[0].id for row in risk.rows], risk.total) for risk in lists]

    def fast(found):
        return [(risk.key, [row.id for row in risk.rows], risk.total) for risk in found.lists]

    monkeypatch.setattr(insights, "AT_RISK_LIMIT", 1)
    for viewer, region in ((national, "77"), (national, "69"), (regional, "77"), (national, None)):
        for only in (None, *insights.RISK_KEYS):
            for page in (1, 2, 3):
                args = {"region_code": region, "inactive_days": 7, "only": only, "page": page}
                assert fast(risk_page(viewer, **args)) == plain(insights.at_risk(viewer, **args)), args
    with pytest.raises(Refused):
        risk_page(regional, region_code="69")

    # An archived course's enrolments are in no list, on either path.
    db.session.get(Course, world.course.id).archived_at = utcnow()
    db.session.commit()
    for viewer, region in ((national, "77"), (regional, "77"), (national, None)):
        args = {"region_code": region, "inactive_days": 7, "only": None, "page": 1}
        found = fast(risk_page(viewer, **args))
        assert found == plain(insights.at_risk(viewer, **args))
        assert all(total == 0 for _key, _ids, total in found)


def test_migration_backfills_the_weekly_rollup_as_a_rebuild_does(world):
    import importlib.util
    from pathlib import Path

    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    path = Path(__file__).parents[2] / "migrations/versions/20261206_b3e1d5a7c9f2_region_dashboard_indexes.py"
    spec = importlib.util.spec_from_file_location("region_dashboard_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    candidate = db.session.get(User, world.moscow[1])
    for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.course_id == world.course.id)):
        progress.complete_lesson(candidate, lesson)
    db.session.flush()
    expected = _week_rows()
    assert sum(expected.values()) == 2
    db.session.execute(sa.delete(RegionCourseWeek))
    with Operations.context(MigrationContext.configure(db.session.connection())):
        migration._backfill_weeks()
    assert _week_rows() == expected

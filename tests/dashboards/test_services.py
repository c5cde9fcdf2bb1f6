"""The region page's queries: one grouped summary, a name-ordered list that pages without gaps."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from lms.content.models import Course
from lms.dashboards import services
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment


def _national(make_user):
    return make_user("nat", role="coordinator")


def test_summary_counts_completions_per_iso_week_in_utc(imported, make_user):
    course = db.session.scalar(sa.select(Course))
    # Sunday 23:30 and Monday 00:30 UTC fall in different ISO weeks; the gap week is drawn as 0.
    moments = [
        datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 18, 8, 0, tzinfo=UTC),
        None,
        None,
    ]
    dues = [date(2026, 4, 1), date(2026, 5, 9), None, None, None, date(2026, 4, 20)]
    for index, (moment, due) in enumerate(zip(moments, dues, strict=True)):
        enrolment = progress.enrol(make_user(f"c{index}", region="77"), course, due_on=due)
        enrolment.completed_at = moment
    progress.enrol(make_user("other", region="69"), course)
    viewer = _national(make_user)
    if db.session.get_bind().dialect.name == "postgresql":
        # Days are UTC days whatever the connection's zone: in Vladivostok 23:30 UTC is Monday.
        db.session.execute(sa.text("SET LOCAL TIME ZONE 'Asia/Vladivostok'"))

    summary = services.region_summary(services.region_enrolments(viewer, "77", services.RegionFilters()))
    assert summary.total == 6
    assert summary.due == date(2026, 5, 9)
    assert [(point.week_start, point.completions) for point in summary.weeks] == [
        (date(2026, 2, 23), 1),
        (date(2026, 3, 2), 2),
        (date(2026, 3, 9), 0),
        (date(2026, 3, 16), 1),
    ]


def test_summary_of_an_empty_selection(imported, make_user):
    summary = services.region_summary(
        services.region_enrolments(_national(make_user), "77", services.RegionFilters(status="completed"))
    )
    assert (summary.total, summary.due, summary.weeks) == (0, None, [])


def test_listing_pages_cover_every_row_once_in_name_order(imported, make_user):
    course = db.session.scalar(sa.select(Course))
    names = [f"Кандидат {number:03d}" for number in range(2 * services.PAGE_SIZE + 7)]
    random.Random(5).shuffle(names)
    for index, name in enumerate(names):
        user = make_user(f"p{index}", region="77", full_name=name)
        progress.enrol(user, course)
    progress.enrol(make_user("elsewhere", region="69", full_name="Кандидат 000"), course)
    db.session.commit()
    viewer = _national(make_user)
    filters = services.RegionFilters()
    courses = services.live_courses()
    listing = services.region_listing(viewer, "77", filters)
    seen = []
    for page in range(3):
        seen += services.candidate_rows(
            listing, courses, limit=services.PAGE_SIZE, offset=page * services.PAGE_SIZE
        )
    assert [row.full_name for row in seen] == sorted(names)
    assert {row.region_code for row in seen} == {"77"}
    total = services.region_summary(services.region_enrolments(viewer, "77", filters)).total
    assert total == len(seen) == len(names)


def test_a_moved_candidate_is_listed_in_the_new_region_only(imported, make_user):
    course = db.session.scalar(sa.select(Course))
    user = make_user("mover", region="77")
    progress.enrol(user, course)
    progress.change_region(user, "69")
    db.session.commit()
    viewer = _national(make_user)
    filters = services.RegionFilters()
    courses = services.live_courses()
    for code, expected in (("77", []), ("69", ["mover"])):
        rows = services.candidate_rows(services.region_listing(viewer, code, filters), courses)
        assert [row.username for row in rows] == expected
        total = services.region_summary(services.region_enrolments(viewer, code, filters)).total
        assert total == len(expected)
    assert db.session.scalar(sa.select(Enrolment.region_code).where(Enrolment.user_id == user.id)) == "69"


def test_summary_reads_only_the_filtered_rows(imported, make_user):
    course = db.session.scalar(sa.select(Course))
    now = datetime.now(UTC)
    for index in range(3):
        enrolment = progress.enrol(make_user(f"f{index}", region="77"), course)
        enrolment.last_activity_at = now - timedelta(days=10 * index)
    db.session.commit()
    summary = services.region_summary(
        services.region_enrolments(_national(make_user), "77", services.RegionFilters(inactive_days=5))
    )
    assert summary.total == 2

"""Rollups equal a from-scratch recomputation, whatever sequence of progress events happened."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress import cohorts, rollups
from lms.progress import services as progress
from lms.progress.models import Enrolment
from lms.progress.rollups import classify

TODAY = date(2026, 6, 1)


def test_classify_covers_every_status():
    base = dict(
        lessons_done=0,
        lesson_count=10,
        completed=False,
        started=False,
        enrolled_on=TODAY - timedelta(days=10),
        due_on=TODAY + timedelta(days=10),
        today=TODAY,
    )
    assert classify(**base) == "not_started"
    assert classify(**{**base, "started": True, "lessons_done": 5}) == "on_track"
    assert classify(**{**base, "started": True, "lessons_done": 1}) == "behind"  # 10 % done at half time
    assert classify(**{**base, "due_on": TODAY - timedelta(days=1)}) == "overdue"
    assert classify(**{**base, "completed": True, "due_on": TODAY - timedelta(days=1)}) == "completed"
    assert classify(**{**base, "started": True, "due_on": None}) == "on_track"


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["enrol", "view", "complete", "uncomplete", "join", "due", "move"]),
        st.integers(0, 3),
        st.integers(0, 2),
        st.integers(-20, 20),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS)
def test_incremental_rollups_equal_a_rebuild(imported, make_user, events):
    course = db.session.scalar(sa.select(Course))
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
    ).all()
    tag = (
        str(len(db.session.scalars(sa.select(Enrolment)).all())) + "-" + str(abs(hash(tuple(events))) % 10**8)
    )
    cohort = cohorts.create_cohort(f"c-{tag}", region_code=None)
    cohorts.set_course(cohort, course, TODAY + timedelta(days=5))
    users = [make_user(f"u{tag}-{i}", region=("77", "69")[i % 2]) for i in range(4)]
    for kind, who, which, days in events:
        user, lesson = users[who], lessons[which % len(lessons)]
        if kind == "enrol":
            progress.enrol(user, course)
        elif kind == "view":
            progress.record_view(user, lesson)
        elif kind == "complete":
            progress.complete_lesson(user, lesson)
        elif kind == "uncomplete":
            progress.uncomplete_lesson(user, lesson)
        elif kind == "join":
            cohorts.add_member(cohort, user)
        elif kind == "due":
            cohorts.set_course(cohort, course, TODAY + timedelta(days=days))
        elif kind == "move":
            progress.change_region(user, ("77", "69", "50")[which])
    rollups.refresh_statuses()
    db.session.flush()
    incremental = rollups.stats_snapshot()
    for enrolment in db.session.scalars(sa.select(Enrolment)):
        assert enrolment.lessons_done == progress.count_completed_live(enrolment.user_id, enrolment.course_id)
        assert enrolment.status == rollups.status_of(enrolment)
        assert enrolment.region_code == enrolment.user.region_code
    rollups.rebuild_stats()
    assert rollups.stats_snapshot() == incremental
    db.session.rollback()

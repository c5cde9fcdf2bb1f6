"""Dashboard fixtures: two regions with candidates at different stages, a cohort with a due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress import cohorts
from lms.progress import services as progress


@dataclass
class World:
    course: Course
    moscow: list
    tver: list
    cohort_id: int


@pytest.fixture
def world(imported, make_user) -> World:
    """Moscow (77): three candidates — finished, started, not started; Tver (69): one, with a formula name."""
    course = db.session.scalar(sa.select(Course))
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
    ).all()
    cohort = cohorts.create_cohort("Москва-весна", region_code="77", campaign="Сентябрь")
    cohorts.set_course(cohort, course, date.today() + timedelta(days=30))
    moscow = [make_user(f"msk{i}", region="77", full_name=f"Кандидат {i}") for i in range(3)]
    tver = [make_user("tver0", region="69", full_name='=HYPERLINK("http://evil","x")')]
    for user in moscow:
        cohorts.add_member(cohort, user)
    for lesson in lessons:
        progress.complete_lesson(moscow[0], lesson)
    progress.record_view(moscow[1], lessons[0])
    progress.enrol(tver[0], course)
    progress.record_view(tver[0], lessons[0])
    db.session.commit()
    return World(course, [u.id for u in moscow], [u.id for u in tver], cohort.id)

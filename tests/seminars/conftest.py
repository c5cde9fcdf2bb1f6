"""Seminar fixtures: a factory of seminars with sessions and invites, and the tiny course imported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from lms.extensions import db
from lms.progress import cohorts
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession

START = date(2027, 3, 15)
# 10:00 in Moscow on the first day.
FIRST_SESSION_AT = datetime(2027, 3, 15, 7, 0, tzinfo=UTC)


@pytest.fixture
def make_seminar(app) -> Callable[..., Seminar]:
    """Factory: make_seminar("vybory", regions=["77"], cohorts=[cohort], sessions=2) -> Seminar
    (committed), three days from 15 March 2027 in Moscow, `sessions` one-hour sessions on day 1."""

    def make(
        key: str = "vybory",
        *,
        regions: tuple[str, ...] | list[str] = (),
        cohorts: tuple = (),
        sessions: int = 1,
        title: str | None = None,
    ) -> Seminar:
        seminar = Seminar(
            key=key,
            title=title or f"Семинар {key}",
            starts_on=START,
            ends_on=START + timedelta(days=2),
            venue="Москва",
            timezone="Europe/Moscow",
        )
        seminar.invites = [SeminarInvite(region_id=code) for code in regions] + [
            SeminarInvite(cohort_id=cohort.id) for cohort in cohorts
        ]
        seminar.sessions = [
            SeminarSession(
                key=f"s{number}",
                day=1,
                title=f"Сессия {number}",
                starts_at=FIRST_SESSION_AT + timedelta(hours=number - 1),
                ends_at=FIRST_SESSION_AT + timedelta(hours=number),
                position=number,
            )
            for number in range(1, sessions + 1)
        ]
        db.session.add(seminar)
        db.session.commit()
        return seminar

    return make


@pytest.fixture
def make_cohort(app) -> Callable:
    """Factory: make_cohort("Москва-1", region="77", members=[user]) -> Cohort (committed)."""

    def make(name: str, *, region: str | None, members: tuple = ()):
        cohort = cohorts.create_cohort(name, region_code=region)
        for member in members:
            cohorts.join_cohort(cohort, member)
        db.session.commit()
        return cohort

    return make


@pytest.fixture
def programme(app, imported, make_seminar):
    """The seminar "vybory" (region 77 invited) with two sessions on day 1; session s1 prepares
    with the tiny course's first module (due 3 days before) and is followed up by lesson l-three
    (due 7 days after)."""
    import sqlalchemy as sa

    from lms.content.models import Course
    from lms.seminars.models import SessionLink

    seminar = make_seminar(regions=["77"], sessions=2)
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    first = seminar.sessions[0]
    first.links = [
        SessionLink(course_id=course.id, module_key="m-one", relation="prepare", due_days=-3),
        SessionLink(course_id=course.id, item_key="l-three", relation="follow_up", due_days=7),
    ]
    db.session.commit()
    return seminar

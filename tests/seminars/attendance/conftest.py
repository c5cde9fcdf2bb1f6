"""Attendance fixtures: a seminar of two regions with one session running now, and its people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course, CourseStaff
from lms.core.time import utcnow
from lms.extensions import db
from lms.seminars.models import Seminar, SeminarSession, SessionLink


@dataclass
class People:
    anna: User  # candidate, region 77
    boris: User  # candidate, region 77
    vera: User  # candidate, region 69
    stranger: User  # candidate of a region not invited
    igor: User  # instructor teaching the linked course
    idle: User  # instructor teaching nothing linked
    pavel: User  # coordinator of region 77
    olga: User  # national coordinator
    root: User  # admin


@pytest.fixture
def people(imported, make_user) -> People:
    igor = make_user("igor", role="instructor", full_name="Игорь Петров")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    db.session.add(CourseStaff(course_id=course.id, user_id=igor.id))
    db.session.commit()
    return People(
        anna=make_user("anna", region="77", full_name="Анна Петрова"),
        boris=make_user("boris", region="77", full_name="Борис Иванов"),
        vera=make_user("vera", region="69", full_name="Вера Тверская"),
        stranger=make_user("stranger", region="50", full_name="Глеб Подмосковный"),
        igor=igor,
        idle=make_user("idle", role="instructor"),
        pavel=make_user("pavel", role="coordinator", region="77"),
        olga=make_user("olga", role="coordinator", region=None),
        root=make_user("root", role="admin"),
    )


@pytest.fixture
def seminar(people, make_seminar) -> Seminar:
    """Regions 77 and 69 invited; session s1 started 20 minutes ago, s2 is tomorrow; the tiny
    course prepares for s1 (so its instructor may take attendance)."""
    seminar = make_seminar("vybory", regions=["77", "69"], sessions=2)
    now = utcnow().replace(microsecond=0)
    first, second = seminar.sessions
    first.starts_at, first.ends_at = now - timedelta(minutes=20), now + timedelta(minutes=70)
    second.starts_at, second.ends_at = now + timedelta(days=1), now + timedelta(days=1, hours=1)
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    db.session.add(SessionLink(session_id=first.id, course_id=course.id, relation="prepare"))
    db.session.commit()
    return seminar


def session(seminar: Seminar, key: str) -> SeminarSession:
    return next(s for s in seminar.sessions if s.key == key)

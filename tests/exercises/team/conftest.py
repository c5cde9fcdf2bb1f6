"""Team assignment fixtures: the team fixture course (a team assignment and an individual one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db

TEAM_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "courses" / "team"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(TEAM_FIXTURE, target)
    return target


@pytest.fixture
def team_item(imported) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "tm-plan"))


@pytest.fixture
def solo_item(imported) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "tm-solo"))

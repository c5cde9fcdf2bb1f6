"""Exercise fixtures: the exercises fixture course imported, with its scenario and assignment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "exercises"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


@pytest.fixture
def scenario_item(imported) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "sc-door"))


@pytest.fixture
def assignment_item(imported) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "as-plan"))

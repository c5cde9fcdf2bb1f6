"""The survey fixture course: a lesson, a named survey and an anonymous one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db

SURVEY_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "courses" / "survey"
NAMED = "/courses/survey-course/surveys/s-named"
ANONYMOUS = "/courses/survey-course/surveys/s-anon"
# A complete, valid answer to each fixture survey, as a browser posts it.
NAMED_FORM = {
    "q-obshchee": ["4"],
    "q-format": ["praktika"],
    "q-temy": ["finansy", "cifra"],
    "q-kommentariy": ["Больше практики, пожалуйста."],
}
ANONYMOUS_FORM = {"q-polza": ["5"], "q-zamechaniya": ["Всё понравилось."]}


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(SURVEY_FIXTURE, target)
    return target


def lesson(key: str) -> Lesson:
    found = db.session.scalar(sa.select(Lesson).where(Lesson.key == key))
    assert found is not None
    return found


@pytest.fixture
def named(imported) -> Lesson:
    return lesson("s-named")


@pytest.fixture
def anonymous(imported) -> Lesson:
    return lesson("s-anon")

"""Certificate fixtures: the exercises course (a lesson, a scenario, an assignment) imported."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.certificates.models import Certificate, CourseCompletion
from lms.extensions import db
from tests.certificates.helpers import finish_course

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


DONE_AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # 13:00 in Moscow: 6 December
REVOKED_AT = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def finished(app, imported, make_user) -> Certificate:
    """Anna (region 77) finished the course on 6 December 2026; her certificate."""
    anna = make_user("anna", full_name="Анна Петрова", region="77")
    igor = make_user("igor", role="instructor")
    finish_course(app, anna, igor)
    db.session.execute(sa.update(CourseCompletion).values(completed_at=DONE_AT))
    db.session.execute(sa.update(Certificate).values(completed_on=DONE_AT))
    db.session.commit()
    return db.session.scalar(sa.select(Certificate))

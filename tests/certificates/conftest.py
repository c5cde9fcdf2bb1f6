"""Certificate fixtures: the exercises course (a lesson, a scenario, an assignment) imported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms.certificates.models import Certificate, CourseCompletion
from lms.extensions import db
from tests.certificates.helpers import finish_course

# The exercises course and a folder for its uploads, as the exercise tests have them.
from tests.exercises.conftest import app, courses_dir  # noqa: F401  (fixtures, found by name)

DONE_AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # 13:00 in Moscow: 6 December
REVOKED_AT = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def finished(app, imported, make_user) -> Certificate:  # noqa: F811  (the fixture, by name)
    """Anna (region 77) finished the course on 6 December 2026; her certificate."""
    anna = make_user("anna", full_name="Анна Петрова", region="77")
    igor = make_user("igor", role="instructor")
    finish_course(app, anna, igor)
    db.session.execute(sa.update(CourseCompletion).values(completed_at=DONE_AT))
    db.session.execute(sa.update(Certificate).values(completed_on=DONE_AT))
    db.session.commit()
    return db.session.scalar(sa.select(Certificate))

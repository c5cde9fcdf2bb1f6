"""Course staff in tests: let an instructor teach courses, as an admin does on /admin/courses/."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course
from lms.content.staff import add_instructor
from lms.extensions import db


def teach(username: str, *course_keys: str) -> None:
    """Assign the instructor to the named live courses (all live courses when none are named)."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    query = sa.select(Course).where(Course.archived_at.is_(None))
    if course_keys:
        query = query.where(Course.key.in_(course_keys))
    courses = db.session.scalars(query).all()
    assert courses, "no such course"
    for course in courses:
        add_instructor(course, user)
    db.session.commit()

"""Course staff: which instructors teach which courses.

`taught_course_ids` is the one rule every instructor page starts from (review queue, grading,
item analysis, the progress view): an instructor sees the courses assigned to them, an admin all.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.content.models import Course, CourseStaff
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db


def taught_course_ids(user: User) -> sa.Select | None:
    """A SELECT of the ids of the courses this user teaches; None means every course (admins)."""
    if user.role == Role.ADMIN:
        return None
    query = sa.select(CourseStaff.course_id)
    if user.role != Role.INSTRUCTOR:
        return query.where(sa.false())
    return query.where(CourseStaff.user_id == user.id)


def only_taught(query: sa.Select, course_column, user: User) -> sa.Select:
    """`query` limited to rows whose `course_column` is a course this user teaches."""
    ids = taught_course_ids(user)
    return query if ids is None else query.where(course_column.in_(ids))


def teaches(user: User, course_id: int) -> bool:
    ids = taught_course_ids(user)
    if ids is None:
        return True
    return bool(db.session.scalar(sa.select(ids.where(CourseStaff.course_id == course_id).exists())))


def teaches_anything(user: User) -> bool:
    ids = taught_course_ids(user)
    return ids is None or bool(db.session.scalar(sa.select(ids.exists())))


def live_courses_taught(user: User) -> list[Course]:
    query = sa.select(Course).where(Course.archived_at.is_(None)).order_by(Course.position, Course.title)
    return list(db.session.scalars(only_taught(query, Course.id, user)))


def instructors() -> list[User]:
    """Active instructor accounts, for the "add an instructor" choice."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.INSTRUCTOR, User.is_active_account.is_(True))
            .order_by(User.full_name, User.username)
        )
    )


def staff_by_course(course_ids: list[int]) -> dict[int, list[User]]:
    """The instructors of each course, in one query."""
    staff: dict[int, list[User]] = defaultdict(list)
    if course_ids:
        for course_id, user in db.session.execute(
            sa.select(CourseStaff.course_id, User)
            .join(User, User.id == CourseStaff.user_id)
            .where(CourseStaff.course_id.in_(course_ids))
            .order_by(User.full_name, User.username)
        ):
            staff[course_id].append(user)
    return staff


def add_instructor(course: Course, user: User) -> bool:
    """Assign an instructor to a course; False when they already teach it."""
    if user.role != Role.INSTRUCTOR or not user.is_active_account:
        raise ValidationError("not_instructor", _l("Choose an active instructor."), field="user")
    if course.archived_at is not None:
        raise ValidationError("course_archived", _l("The course is archived."), field="user")
    added = insert_or_ignore(
        CourseStaff,
        {"course_id": course.id, "user_id": user.id, "added_at": utcnow()},
        ["course_id", "user_id"],
    )
    if added:
        record("staff.add", target=course, details={"course": course.key, "instructor": user.username})
    return added


def remove_instructor(course: Course, user: User) -> bool:
    """Take an instructor off a course; False when they did not teach it."""
    removed = db.session.execute(
        sa.delete(CourseStaff).where(CourseStaff.course_id == course.id, CourseStaff.user_id == user.id)
    ).rowcount
    if removed:
        record("staff.remove", target=course, details={"course": course.key, "instructor": user.username})
    db.session.flush()
    return bool(removed)

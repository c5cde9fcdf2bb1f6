"""Who may author what: admins every course folder, course staff the courses they teach."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course
from lms.content.staff import taught_course_ids
from lms.core.roles import Refused, Role
from lms.extensions import db


def may_author_anything(user: User) -> bool:
    """Admins, and instructors on the staff of at least one course."""
    if user.role == Role.ADMIN:
        return True
    ids = taught_course_ids(user)
    return ids is not None and bool(db.session.scalar(sa.select(ids.exists())))


def authorable_folders(user: User) -> set[str] | None:
    """Course folders this user may edit; None means every folder (admins)."""
    ids = taught_course_ids(user)
    if ids is None:
        return None
    return set(db.session.scalars(sa.select(Course.folder).where(Course.id.in_(ids))))


def may_author(user: User, course_dir: str) -> bool:
    folders = authorable_folders(user)
    return folders is None or course_dir in folders


def require_author(user: User, course_dir: str) -> None:
    """Refused (403) unless the user may edit this course folder. A folder not yet imported
    (a course being made) belongs to admins only, as no staff are assigned to it yet."""
    if not may_author(user, course_dir):
        raise Refused(course_dir)

"""Who a team assignment's work belongs to: the candidates of one region on the course.

Kept apart from the draft operations (lms/exercises/team.py) so that grading in
lms/exercises/grading.py can credit every member without importing them.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.core.roles import Role
from lms.exercises.models import Contribution, Submission
from lms.extensions import db
from lms.progress.models import Enrolment


def is_team_item(item: Lesson) -> bool:
    """Whether the assignment is done by a region's team (`team: region` in its front matter)."""
    return item.kind == "assignment" and (item.payload or {}).get("team") == "region"


def team_members(item: Lesson, region_code: str) -> list[User]:
    """The region's active candidates enrolled on the item's course, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Enrolment, sa.and_(Enrolment.user_id == User.id, Enrolment.course_id == item.course_id))
            .where(
                User.role == Role.CANDIDATE, User.region_code == region_code, User.is_active_account.is_(True)
            )
            .order_by(User.full_name, User.username, User.id)
        )
    )


def work_authors(submission: Submission) -> list[User]:
    """Whom a submission's grade counts for: its author, or every member of its team.

    A contributor who has since left the region still wrote part of the work, so they count too.
    """
    if submission.team_region_code is None:
        return [submission.user]
    members = {user.id: user for user in team_members(submission.item, submission.team_region_code)}
    contributors = db.session.scalars(
        sa.select(User).where(
            User.id.in_(sa.select(Contribution.user_id).where(Contribution.submission_id == submission.id)),
            User.role == Role.CANDIDATE,
        )
    )
    for user in contributors:
        members.setdefault(user.id, user)
    return sorted(members.values(), key=lambda user: (user.full_name or "", user.username, user.id))

"""A team assignment's shared draft: one submission per (assignment, region), edited by its members.

Every save is checked against the version the member started from, so two members editing at
once never overwrite each other silently: the later save is refused with both texts shown, and
every save that goes through is recorded as a contribution (who, when, how many words changed).
Review goes through the individual assignments' queue and grading (lms/exercises/grading.py),
which credit and notify every member (lms/exercises/teams.py).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region, User
from lms.accounts.services import regions_query
from lms.content.models import Course, Lesson, Module
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.exercises import services
from lms.exercises.models import Contribution, ReviewEvent, Submission
from lms.exercises.teams import is_team_item, team_members
from lms.exercises.words import words_of
from lms.extensions import db
from lms.notifications.services import notify, path_for
from lms.progress.models import Enrolment

__all__ = [
    "OVERVIEW_STATUSES",
    "Conflict",
    "RegionRow",
    "default_template",
    "draft_text",
    "is_team_item",
    "may_edit",
    "region_rows",
    "save_team_draft",
    "team_items",
    "team_members",
    "team_submission",
]


class Conflict(ValidationError):
    """Someone else saved the draft since this member opened it: nothing of theirs was written."""

    def __init__(self, current: Submission, mine: str) -> None:
        super().__init__(
            "conflict",
            _l(
                "Another member of your team saved the draft while you were editing it. Nothing of "
                "yours was saved: compare both texts below, merge them and save again."
            ),
            field="text",
        )
        self.theirs = current.text_md
        self.theirs_html = current.text_html
        self.version = current.version
        self.mine = mine
        last = current.contributions[-1] if current.contributions else None
        self.by = last.user if last else None
        self.at = last.created_at if last else current.updated_at


def default_template() -> str:
    """The plan's usual sections, in the reader's language, for a team that starts from nothing."""
    sections = (
        (_("Goals"), _("What the campaign must achieve in the region, with figures and dates.")),
        (_("Audiences"), _("Which voters and groups, what matters to them, how to reach them.")),
        (_("Calendar"), _("Stages and key dates up to election day, with who is responsible.")),
        (
            _("Risks and what could disrupt the campaign"),
            _("What could go wrong, how likely it is, and what the team will do about it."),
        ),
        (_("Budget outline"), _("The main items of spending and their sources, within the law.")),
    )
    return "\n\n".join(f"## {title}\n\n{hint}" for title, hint in sections) + "\n"


def team_submission(item: Lesson, region_code: str) -> Submission | None:
    """The region's shared submission of a team assignment, if anyone has saved it yet."""
    return db.session.scalar(
        sa.select(Submission).where(Submission.item_id == item.id, Submission.team_region_code == region_code)
    )


def draft_text(item: Lesson, submission: Submission | None) -> str:
    """What the editor shows: the team's saved text, or the assignment's template to start from."""
    if submission is not None:
        return submission.text_md
    return (item.payload or {}).get("draft_template") or default_template()


def may_edit(user: User) -> bool:
    """Only candidates with a region belong to a team; staff look, they never write."""
    return user.role == Role.CANDIDATE and bool(user.region_code)


def save_team_draft(
    user: User,
    item: Lesson,
    *,
    text: str,
    uploads: list[services.Upload],
    remove_ids: list[int],
    submit: bool,
    expected_version: int | None,
) -> Submission:
    """Save the region's shared draft (or submit it) as `user`, unless another save came first.

    `expected_version` is the version the member's form was built from (None: they saw no draft
    yet). A different current version raises Conflict carrying both texts; nothing is written.
    """
    if not is_team_item(item):
        raise ValueError(f"{item.key} is not a team assignment")
    if not may_edit(user):
        raise ValidationError("no_team", _l("Only candidates of a region take part in a team assignment."))
    region = user.region_code
    now = utcnow()
    insert_or_ignore(
        Submission,
        {
            "user_id": user.id,
            "item_id": item.id,
            "team_region_code": region,
            "snapshot_id": services.snapshot_for(item).id,
            "status": "draft",
            "text_md": "",
            "text_html": "",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
        None,  # the region's row, made by another member at the same moment, is the one to use
    )
    submission = team_submission(item, region)
    if submission is None:
        raise ValidationError("try_again", _l("The draft could not be created. Please try again."))
    services.lock_submission(submission)
    services.check_editable(submission)
    # A row still at version 1 was made by this very call (a save always moves it on).
    if (expected_version or 1) != submission.version:
        if not submit and not uploads and not remove_ids and text == submission.text_md:
            return submission  # the same save again (a double click, a resent form): nothing to do
        raise Conflict(submission, text)
    before = submission.text_md
    files_before = {attachment.id for attachment in services.live_attachments(submission)}
    resubmission = submission.status == "returned"
    services.write_submission(
        submission, user, item, text=text, uploads=uploads, remove_ids=remove_ids, submit=submit
    )
    files_after = {attachment.id for attachment in services.live_attachments(submission)}
    added, removed = word_changes(before, text)
    submission.contributions.append(
        Contribution(
            user_id=user.id,
            action=("resubmitted" if resubmission else "submitted") if submit else "saved",
            created_at=now,
            version=submission.version,
            words_before=len(words_of(before)),
            words_after=len(words_of(text)),
            words_added=added,
            words_removed=removed,
            files_added=len(files_after - files_before),
            files_removed=len(files_before - files_after),
        )
    )
    if submit:
        _tell_team_submitted(submission, user, item)
    db.session.flush()
    return submission


def word_changes(before: str, after: str) -> tuple[int, int]:
    """(words added, words removed) between two texts, as a reader would count them."""
    old, new = words_of(before), words_of(after)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def _tell_team_submitted(submission: Submission, author: User, item: Lesson) -> None:
    link = path_for("exercises.assignment", course_key=item.course.key, item_key=item.key)
    for member in team_members(item, submission.team_region_code or ""):
        if member.id != author.id:
            notify(
                member,
                "team_submitted",
                {"item": item.title, "course": item.course.title, "name": author.display_name},
                link=link,
            )


# --- reviewers' side-by-side view ------------------------------------------------------------


@dataclass
class RegionRow:
    """One region's line of the side-by-side table: its work (if any) and latest assessment."""

    region: Region
    members: int
    submission: Submission | None = None
    grading: ReviewEvent | None = None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission is not None else "none"


OVERVIEW_STATUSES = ("all", "none", "draft", "waiting", "returned", "accepted")


def team_items(course_ids: sa.Select | None) -> list[Lesson]:
    """Live team assignments, in course and module order (`course_ids` limits the courses)."""
    query = (
        sa.select(Lesson)
        .join(Course, Course.id == Lesson.course_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(
            Lesson.kind == "assignment",
            Lesson.archived_at.is_(None),
            Module.archived_at.is_(None),
            Course.archived_at.is_(None),
        )
        .order_by(Course.position, Course.id, Module.position, Lesson.position, Lesson.id)
    )
    if course_ids is not None:
        query = query.where(Lesson.course_id.in_(course_ids))
    return [item for item in db.session.scalars(query) if is_team_item(item)]


def region_rows(item: Lesson, *, scope: str | None, region: str = "", status: str = "all") -> list[RegionRow]:
    """Every region with members on the course or work on the item, within `scope` (one region
    code, or None for all), filtered by region and by status ("waiting": submitted or in review)."""
    members = dict(
        db.session.execute(
            sa.select(User.region_code, sa.func.count(User.id))
            .join(Enrolment, sa.and_(Enrolment.user_id == User.id, Enrolment.course_id == item.course_id))
            .where(
                User.role == Role.CANDIDATE, User.region_code.is_not(None), User.is_active_account.is_(True)
            )
            .group_by(User.region_code)
        ).all()
    )
    works = {
        submission.team_region_code: submission
        for submission in db.session.scalars(
            sa.select(Submission).where(
                Submission.item_id == item.id, Submission.team_region_code.is_not(None)
            )
        )
    }
    codes = set(members) | set(works)
    if scope is not None:
        codes &= {scope}
    if region:
        codes &= {region}
    regions = db.session.scalars(regions_query().where(Region.code.in_(codes))) if codes else []
    rows = []
    for place in regions:
        work = works.get(place.code)
        row = RegionRow(
            place, members.get(place.code, 0), work, services.latest_grading(work) if work else None
        )
        wanted = {"waiting": ("submitted", "in_review")}.get(status, (status,))
        if status == "all" or row.status in wanted:
            rows.append(row)
    return rows

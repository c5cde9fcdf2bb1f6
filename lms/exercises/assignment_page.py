"""The field-assignment page's reads: the session's user, the assignment and the candidate's own
work in one statement, as the lesson page does (lms/progress/services.py `lesson_page`).

The brief, the rubric and the breadcrumbs are the same for everybody for one version of the
assignment: the template caches them under `AssignmentPage.content_stamp` (lms/core/fragments.py).
The candidate's work, its history and grading, the form and its token are read and rendered on
every request and never cached.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content import services as content
from lms.content.models import Course, Lesson, Module
from lms.core.roles import Role
from lms.core.time import as_utc
from lms.exercises.models import Attachment, ReviewEvent, Submission
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.progress.services import ItemVisit


class Actor:
    """Who acted on a submission, as the history shows them (`event.actor.display_name`)."""

    __slots__ = ("display_name",)

    def __init__(self, display_name: str) -> None:
        self.display_name = display_name


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a submission's history, with the rubric marks of a grading."""

    id: int
    action: str
    created_at: datetime
    comment: str
    points: int | None
    scores: dict | None
    criterion_comments: dict | None
    actor: Actor | None

    @property
    def marks(self) -> tuple:
        """The points chosen per criterion, as a key for the rubric's cached fragments."""
        return tuple(sorted((self.scores or {}).items()))


@dataclass(frozen=True, slots=True)
class File:
    """A live attachment of the work, as listed on the page."""

    id: int
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class Work:
    """The candidate's submission as the page shows it: plain values, no ORM objects."""

    id: int
    status: str
    version: int
    text_md: str
    text_html: str
    events: tuple[Event, ...]
    attachments: tuple[File, ...]

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")

    @property
    def grading(self) -> Event | None:
        """The latest acceptance or return, whose marks and comments the page shows."""
        for event in reversed(self.events):
            if event.action in ("accepted", "returned"):
                return event
        return None


@dataclass(frozen=True, slots=True)
class AssignmentPage(ItemVisit):
    """What an assignment page needs that may change between two requests, read in one statement."""

    item_id: int
    title: str
    payload: dict
    content_stamp: tuple
    module_id: int
    gates: dict
    complete_mode: str
    work: Work | None = None
    enrolment_id: int | None = None
    last_lesson_id: int | None = None
    last_activity_at: datetime | None = None
    viewed: bool = False
    completed: bool = False

    @property
    def is_team(self) -> bool:
        """Done by a region's team (`team: region`): shown on its own page (lms/exercises/team_views.py)."""
        return self.payload.get("team") == "region"


class AssignmentContent:
    """The assignment with its course and module, loaded only when a cached part of the page has
    to be rendered (a first view since start-up or since the content changed)."""

    def __init__(self, course_key: str, item_key: str, item: Lesson | None = None) -> None:
        self.course_key, self.item_key = course_key, item_key
        if item is not None:
            self.item = item

    @cached_property
    def item(self) -> Lesson:
        return content.live_lesson_page_or_404(self.course_key, self.item_key)


def content_stamp(item_id: int, render_key: str, updated_at, module_updated_at, course_updated_at) -> tuple:
    """Everything the cached parts show changes one of these (as the lesson page's stamp): the
    file's rendering, the item's, its module's and its course's titles and images."""
    return (item_id, render_key, updated_at, module_updated_at, course_updated_at)


Actors = sa.orm.aliased(User, name="actors")


def _history(aggregate: str, build: str, *, as_json) -> sa.ScalarSelect:
    """The work's history as one JSON array of rows [id, action, created_at, comment, points,
    scores, criterion_comments, actor's full name, actor's username], read with the page: the
    aggregate and row-building functions are named differently by SQLite and PostgreSQL."""
    row = getattr(sa.func, build)(
        ReviewEvent.id,
        ReviewEvent.action,
        ReviewEvent.created_at,
        ReviewEvent.comment,
        ReviewEvent.points,
        as_json(ReviewEvent.scores),
        as_json(ReviewEvent.criterion_comments),
        Actors.full_name,
        Actors.username,
    )
    return (
        sa.select(getattr(sa.func, aggregate)(row, type_=sa.JSON))
        .select_from(ReviewEvent)
        .outerjoin(Actors, Actors.id == ReviewEvent.actor_id)
        .where(ReviewEvent.submission_id == Submission.id)
        .scalar_subquery()
    )


def _page_statement(history: sa.ScalarSelect) -> sa.Select:
    """The signed-in user, the live assignment, its module and course, the reader's enrolment and
    progress and their submission with its history, each joined on its own condition so that a
    missing assignment still returns the user."""
    return (
        session_user_select(
            Lesson.id.label("item_id"),
            Lesson.kind,
            Lesson.title,
            Lesson.complete_mode,
            Lesson.render_key,
            Lesson.updated_at,
            Lesson.payload,
            Module.id.label("module_id"),
            Module.updated_at.label("module_updated_at"),
            Course.updated_at.label("course_updated_at"),
            Course.gates,
            Enrolment.id.label("enrolment_id"),
            Enrolment.last_lesson_id,
            Enrolment.last_activity_at,
            LessonProgress.first_viewed_at,
            LessonProgress.completed_at,
            Submission.id.label("submission_id"),
            Submission.status,
            Submission.version,
            Submission.text_md,
            Submission.text_html,
            sa.exists()
            .where(Attachment.submission_id == Submission.id, Attachment.removed_at.is_(None))
            .label("has_files"),
            history.label("history"),
        )
        .outerjoin(Course, sa.and_(Course.key == sa.bindparam("course_key"), Course.archived_at.is_(None)))
        .outerjoin(
            Lesson,
            sa.and_(
                Lesson.course_id == Course.id,
                Lesson.key == sa.bindparam("item_key"),
                Lesson.archived_at.is_(None),
            ),
        )
        .outerjoin(Module, sa.and_(Module.id == Lesson.module_id, Module.archived_at.is_(None)))
        .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == User.id))
        .outerjoin(
            LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == User.id)
        )
        .outerjoin(Submission, sa.and_(Submission.item_id == Lesson.id, Submission.user_id == User.id))
    )


# Built once per backend: it runs on every assignment page. SQLite keeps JSON columns as text, so
# `json()` marks them as JSON inside the row; PostgreSQL's json columns go in as they are.
_ASSIGNMENT_PAGE = {
    "sqlite": _page_statement(_history("json_group_array", "json_array", as_json=sa.func.json)),
    "postgresql": _page_statement(_history("json_agg", "json_build_array", as_json=lambda column: column)),
}

_FILES = (
    sa.select(Attachment.id, Attachment.filename, Attachment.size)
    .where(Attachment.submission_id == sa.bindparam("submission_id"), Attachment.removed_at.is_(None))
    .order_by(Attachment.id)
)


def assignment_page(
    session_token: str | None, course_key: str, item_key: str
) -> tuple[User | None, AssignmentPage | None]:
    """The page's one statement (and one more only for a work with files): the session's user,
    and the live assignment with that user's work and its history (work only for candidates).
    (None, None) when nobody is signed in, (user, None) when there is no such live assignment."""
    if session_token is None:
        return None, None
    row = db.session.execute(
        _ASSIGNMENT_PAGE[db.session.get_bind().dialect.name],
        {**session_params(session_token), "course_key": course_key, "item_key": item_key},
    ).first()
    user = accept_session_user(row.User if row else None, session_token, row.session_seen_at if row else None)
    if user is None or row.item_id is None or row.module_id is None or row.kind != "assignment":
        return user, None
    stamp = content_stamp(
        row.item_id, row.render_key, row.updated_at, row.module_updated_at, row.course_updated_at
    )
    page = AssignmentPage(
        item_id=row.item_id,
        title=row.title,
        payload=row.payload or {},
        content_stamp=stamp,
        module_id=row.module_id,
        gates=row.gates or {},
        complete_mode=row.complete_mode,
    )
    if user.role != Role.CANDIDATE:  # staff preview the page: no work, no progress
        return user, page
    work = None
    if row.submission_id is not None:
        files = _plain(_FILES, row.submission_id) if row.has_files else ()
        work = Work(
            id=row.submission_id,
            status=row.status,
            version=row.version,
            text_md=row.text_md,
            text_html=row.text_html,
            events=_events(row.history),
            attachments=tuple(File(*file) for file in files),
        )
    return user, replace(
        page,
        work=work,
        enrolment_id=row.enrolment_id,
        last_lesson_id=row.last_lesson_id,
        last_activity_at=row.last_activity_at,
        viewed=row.first_viewed_at is not None,
        completed=row.completed_at is not None,
    )


def _plain(statement: sa.Select, submission_id: int) -> sa.CursorResult:
    """Rows of plain columns, through the session's connection: no ORM entity to load, so the
    ORM's execution path is not needed."""
    return db.session.connection().execute(statement, {"submission_id": submission_id})


def _events(history: list | None) -> tuple[Event, ...]:
    """The history's rows, oldest first (the aggregate promises no order)."""
    events = []
    for id_, action, created_at, comment, points, scores, criterion_comments, full_name, username in sorted(
        history or ()
    ):
        name = full_name or username
        events.append(
            Event(
                id=id_,
                action=action,
                created_at=as_utc(datetime.fromisoformat(created_at)),
                comment=comment,
                points=points,
                scores=scores,
                criterion_comments=criterion_comments,
                actor=Actor(name) if name else None,
            )
        )
    return tuple(events)


def page_of(item: Lesson, submission: Submission | None) -> AssignmentPage:
    """The same page from loaded objects: a form posted back with its errors."""
    stamp = content_stamp(
        item.id, item.render_key, item.updated_at, item.module.updated_at, item.course.updated_at
    )
    return AssignmentPage(
        item_id=item.id,
        title=item.title,
        payload=item.payload or {},
        content_stamp=stamp,
        module_id=item.module_id,
        gates=item.course.gates or {},
        complete_mode=item.complete_mode,
        work=work_of(submission) if submission is not None else None,
    )


def work_of(submission: Submission) -> Work:
    return Work(
        id=submission.id,
        status=submission.status,
        version=submission.version,
        text_md=submission.text_md,
        text_html=submission.text_html,
        events=tuple(
            Event(
                id=event.id,
                action=event.action,
                created_at=event.created_at,
                comment=event.comment,
                points=event.points,
                scores=event.scores,
                criterion_comments=event.criterion_comments,
                actor=Actor(event.actor.display_name) if event.actor else None,
            )
            for event in submission.events
        ),
        attachments=tuple(
            File(file.id, file.filename, file.size)
            for file in submission.attachments
            if file.removed_at is None
        ),
    )

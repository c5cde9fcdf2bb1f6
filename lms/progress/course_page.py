"""The course page's reads: who asks and what of the course is theirs, in one statement.

The outline (modules, items, titles, kinds, links, minutes) reads the same for everybody: the page
caches it as HTML under `CoursePage.content_stamp` (templates/content/course.html) and loads it
only on a miss (`CourseContent`). Each reader's part of it (an item's status, a module's count of
done items, why a module is closed) is left in the cached HTML as a slot, an HTML comment that
`CoursePage.outline` fills; a title or summary cannot contain one, as the page escapes them. An
open item's status slot carries its address too: the first of those not done is where "Start"
and "Continue" lead, as `services.first_unfinished_lesson` chooses. A course whose rule asks for
more than items (a seminar's attendance) costs a candidate one statement more per requirement,
asked of the domain that knows it (`CoursePage.requirements_progress`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, lru_cache
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content import services as content_services
from lms.content.models import Course, Lesson, Module
from lms.core.roles import Role
from lms.extensions import db
from lms.progress import gates
from lms.progress.models import Enrolment, LessonProgress, percent_done
from lms.progress.page_columns import rebuilt_on_change, with_page_columns
from lms.progress.services import live_outline_rows
from lms.progress.signals import RequirementProgress, progress_of


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """What `status_label` reads of an item."""

    started: bool
    completed: bool


NOT_STARTED, STARTED, COMPLETED = ItemStatus(False, False), ItemStatus(True, False), ItemStatus(True, True)


@dataclass(frozen=True, slots=True)
class CoursePage:
    """What the course page shows that may change between two requests, read in one statement."""

    key: str
    course_id: int
    title: str
    lesson_count: int
    content_stamp: tuple
    enrolment_id: int | None
    lessons_done: int
    completed_at: datetime | None
    locks: gates.CourseLocks
    # What the course's rule asks beyond items (Course.completion_requirements): most courses ask
    # nothing, and then the page costs no statement more (see `requirements_progress`).
    requirements: tuple[dict, ...] = ()
    # Lesson id -> completed, for every item of the course the reader opened.
    progress: dict[int, bool] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # lms.progress.page_columns' columns by label

    @property
    def percent(self) -> int:
        return percent_done(self.lessons_done, self.lesson_count)

    @property
    def started(self) -> bool:
        """Some step is done (Enrolment.started): "Continue", else "Start"."""
        return self.lessons_done > 0

    @property
    def closed(self) -> tuple:
        """The part of the outline's cache key that says which modules it shows closed."""
        if self.locks.course is not None:
            return ("course",)
        return tuple(sorted(self.locks.modules))

    def requirements_progress(self, user: User) -> list[RequirementProgress]:
        """How far a candidate is with each requirement beyond items (a seminar's attendance),
        answered by the domain that knows it (lms.progress.signals.requirement_progress) in a
        statement of its own per requirement; nothing to ask, and no statement, for others."""
        if not self.requirements or user.role != Role.CANDIDATE:
            return []
        return progress_of(user, list(self.requirements))

    def is_closed(self, module_id: int) -> bool:
        return self.locks.for_module(module_id) is not None

    def outline(
        self,
        cached: str,
        status_label: Callable[[ItemStatus], str],
        done_label: Callable[[int, int], str],
        lock_notice: Callable[..., str],
    ) -> FilledOutline:
        """The cached outline with this reader's slots filled by the page's own macros, and where
        "Start" or "Continue" leads: the first open item not done (its slot carries its address)."""
        head, slots = _slots(cached)
        progress, enrolled, html = self.progress, self.enrolment_id is not None, [head]
        labels: dict[ItemStatus, str] = {}
        next_url = None
        for name, ids, address, text in slots:
            if name == "status":
                if enrolled:
                    completed = progress.get(ids[0])
                    if next_url is None and address and not completed:
                        next_url = address
                    status = NOT_STARTED if completed is None else COMPLETED if completed else STARTED
                    if status not in labels:
                        labels[status] = status_label(status)
                    html.append(labels[status])
            elif name == "done":
                html.append(done_label(sum(1 for lesson_id in ids if progress.get(lesson_id)), len(ids)))
            else:
                html.append(lock_notice(self.locks.modules[ids[0]], 4))
            html.append(text)
        return FilledOutline(Markup("".join(html)), next_url)  # nosec B704  # cached page HTML, macros' output


@dataclass(frozen=True, slots=True)
class FilledOutline:
    html: Markup
    next_url: str | None  # None before enrolling, and when every open item is done


# <!--status ID[ ADDRESS]-->, <!--done ID ID ...-->, <!--lock MODULE-ID-->
_SLOT = re.compile(r"<!--(status|done|lock) ([\d ]*?)(?: (/\S*?))?-->")


@lru_cache(maxsize=256)
def _slots(outline: str) -> tuple[str, tuple[tuple[str, tuple[int, ...], str | None, str], ...]]:
    """An outline's text before its first slot, then each slot (name, ids, address) with the text
    after it. Parsed once per cached outline: every request passes the same text."""
    parts = _SLOT.split(outline)
    slots = tuple(
        (
            parts[index],
            tuple(int(id_) for id_ in parts[index + 1].split()),
            parts[index + 2],
            parts[index + 3],
        )
        for index in range(1, len(parts), 4)
    )
    return parts[0], slots


@dataclass(frozen=True)
class OutlineModule:
    module: Module
    lessons: list[Lesson]

    @property
    def lesson_ids(self) -> str:
        """The module's items for its "done" slot."""
        return " ".join(str(lesson.id) for lesson in self.lessons)


class CourseContent:
    """The course and its outline, loaded only when a cached part of the page has to be rendered
    (a first view since start-up or since the content changed)."""

    def __init__(self, course_key: str) -> None:
        self.course_key = course_key

    @cached_property
    def course(self) -> Course:
        return content_services.live_course_or_404(self.course_key)

    @cached_property
    def outline(self) -> list[OutlineModule]:
        return outline_of(self.course)


def outline_of(course: Course) -> list[OutlineModule]:
    """Live modules and their live items in order: only the columns the outline shows."""
    modules, lessons = live_outline_rows(course)
    by_module: dict[int, list[Lesson]] = {module.id: [] for module in modules}
    for lesson in lessons:
        if lesson.module_id in by_module:
            by_module[lesson.module_id].append(lesson)
    return [OutlineModule(module, by_module[module.id]) for module in modules]


# The reader's progress in the course as "12,-13": an id for an item done, minus the id for an
# item opened and not done.
_PROGRESS = (
    sa.select(
        sa.func.aggregate_strings(
            sa.cast(
                sa.case(
                    (LessonProgress.completed_at.is_not(None), LessonProgress.lesson_id),
                    else_=-LessonProgress.lesson_id,
                ),
                sa.String,
            ),
            ",",
        )
    )
    .select_from(LessonProgress)
    .join(Lesson, Lesson.id == LessonProgress.lesson_id)
    .where(LessonProgress.user_id == User.id, Lesson.course_id == Course.id)
    .correlate(User, Course)
    .scalar_subquery()
)

_COLUMNS = (
    Course.id.label("course_id"),
    Course.title,
    Course.lesson_count,
    Course.gates,
    Course.render_key,
    Course.updated_at,
    Course.completion_requirements,
    Enrolment.id.label("enrolment_id"),
    Enrolment.lessons_done,
    Enrolment.completed_at,
    _PROGRESS.label("progress"),
)
_EXTRA_FROM = 2 + len(_COLUMNS)  # after the user, the session's last activity and _COLUMNS


@rebuilt_on_change
@cache
def _statement() -> sa.Select:
    """Built once (per set of lms.progress.page_columns): it runs on every course page. The signed-in user,
    then the course's stamp and gates and the reader's enrolment and progress, as plain columns.
    The importer changes the course's updated_at whenever its outline changes
    (lms.content.counts.refresh_counts)."""
    statement = (
        session_user_select(*_COLUMNS)
        .outerjoin(Course, sa.and_(Course.key == sa.bindparam("course_key"), Course.archived_at.is_(None)))
        .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == User.id))
    )
    statement = with_page_columns(statement)
    return statement


def course_page(session_token: str | None, course_key: str) -> tuple[User | None, CoursePage | None]:
    """The course page's one statement: the session's user and the live course with that user's
    enrolment and progress. (None, None) when nobody is signed in, (user, None) when there is no
    such live course. A candidate's gates cost their own queries (lms.progress.gates)."""
    if session_token is None:
        return None, None
    result = db.session.execute(_statement(), {**session_params(session_token), "course_key": course_key})
    row = result.first()
    user = accept_session_user(row.User if row else None, session_token, row.session_seen_at if row else None)
    if user is None or row is None or row.course_id is None:
        return user, None
    locks = gates.locks_for(user, row.gates or {})
    done = (
        {abs(int(item)): not item.startswith("-") for item in row.progress.split(",")} if row.progress else {}
    )
    return user, CoursePage(
        key=course_key,
        course_id=row.course_id,
        title=row.title,
        lesson_count=row.lesson_count,
        content_stamp=(row.course_id, row.render_key, row.updated_at),
        enrolment_id=row.enrolment_id,
        lessons_done=row.lessons_done or 0,
        completed_at=row.completed_at,
        locks=locks,
        requirements=tuple(row.completion_requirements or ()),
        progress=done,
        extra=dict(zip(tuple(result.keys())[_EXTRA_FROM:], row[_EXTRA_FROM:], strict=True)),
    )

"""Completing an item and what follows from it: the enrolment's count of done items, the course's
completion, the region's and cohort's rollups, the heatmap's module counts, and the followers of
`enrolment_progressed` (certificates). Idempotent and race-safe: a double click counts once."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lms.accounts.models import User
from lms.content.models import Course, Lesson, lessons_required
from lms.content.registry import ITEM_KINDS
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import module_rollup, rollups
from lms.progress import signals as progress_signals
from lms.progress.enrolments import enrol
from lms.progress.models import Enrolment, LessonProgress

_enrolments = Enrolment.__table__


class Completed(enum.IntEnum):
    """What a call of `complete_lesson` completed: false only when it completed nothing."""

    NOTHING = 0
    LESSON = 1
    COURSE = 2  # the lesson, and with it the course


def complete_lesson(
    user: User, lesson: Lesson, *, stuck_on_quiz: sa.ColumnElement[bool] | None = None
) -> Completed:
    """Mark a lesson done. Only the call that actually completed it returns a true value: COURSE
    when that completed the course too (its enrolment's completion was recorded by this call).

    The conditional UPDATE makes a double click or two tabs count once: only one statement
    can move completed_at from NULL, and only that one bumps the rollups. Reads only the lesson's
    id, course_id, module_id, version and archived_at (not its course: the enrolment's UPDATE
    returns what it needs of the course). `stuck_on_quiz`, a condition as `set_stuck_on_quiz`
    takes, is stored by that same UPDATE when this call completes the lesson (a graded quiz).
    """
    now = utcnow()
    db.session.flush()  # loaded objects' pending changes to these rows go first (record_view's)
    connection = db.session.connection()
    progress = {
        "done_user_id": user.id,
        "done_lesson_id": lesson.id,
        "now": now,
        "done_version": lesson.version,
    }
    opened = False
    # The usual case is one UPDATE: the page of the item created the progress row. Without one,
    # the INSERT completes it; a row another request inserted meanwhile is completed by the retry.
    completed = connection.execute(_COMPLETE_PROGRESS, progress).rowcount == 1
    if not completed:
        dialect = connection.dialect.name
        opened = connection.execute(_INSERT_COMPLETED_PROGRESS[dialect], progress).first() is not None
        completed = opened or connection.execute(_COMPLETE_PROGRESS, progress).rowcount == 1
    if not completed:
        return Completed.NOTHING
    module_rollup.completed(user.id, lesson, +1, opened=opened)
    course_completed = _count_completion(user, lesson, +1, now, stuck_on_quiz=stuck_on_quiz)
    return Completed.COURSE if course_completed else Completed.LESSON


def uncomplete_lesson(user: User, lesson: Lesson) -> bool:
    """Undo a completion (an exercise whose latest attempt now counts and failed)."""
    now = utcnow()
    db.session.flush()
    result = db.session.connection().execute(
        _UNDO_PROGRESS, {"done_user_id": user.id, "done_lesson_id": lesson.id}
    )
    if result.rowcount != 1:
        return False
    module_rollup.completed(user.id, lesson, -1)
    _count_completion(user, lesson, -1, now)
    return True


_progress = LessonProgress.__table__
_this_progress = sa.and_(
    _progress.c.user_id == sa.bindparam("done_user_id"),
    _progress.c.lesson_id == sa.bindparam("done_lesson_id"),
)
# Built once: the statements of a completion (every lesson read, quiz passed, scenario finished).
_COMPLETE_PROGRESS = (
    sa.update(_progress)
    .where(_this_progress, _progress.c.completed_at.is_(None))
    .values(completed_at=sa.bindparam("now"), completed_version=sa.bindparam("done_version"))
)
_UNDO_PROGRESS = (
    sa.update(_progress)
    .where(_this_progress, _progress.c.completed_at.is_not(None))
    .values(completed_at=None, completed_version=None)
)


def _insert_completed_progress(insert) -> sa.Insert:
    """A progress row opened and completed at once, unless the user has one (RETURNING tells)."""
    return (
        insert(_progress)
        .values(
            user_id=sa.bindparam("done_user_id"),
            lesson_id=sa.bindparam("done_lesson_id"),
            first_viewed_at=sa.bindparam("now"),
            completed_at=sa.bindparam("now"),
            completed_version=sa.bindparam("done_version"),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
        .returning(sa.literal_column("1"))
    )


_INSERT_COMPLETED_PROGRESS = {
    "postgresql": _insert_completed_progress(postgresql.insert),
    "sqlite": _insert_completed_progress(sqlite.insert),
}


@dataclass(slots=True)
class _CourseCounts:
    lesson_count: int


@dataclass(slots=True)
class CountedEnrolment:
    """An enrolment as a completion's UPDATE returned it, with what the rollups read of its course
    (`rollups.recount` takes it as it takes an Enrolment): no ORM object is loaded or tracked."""

    id: int
    course_id: int
    lessons_done: int
    completed_at: datetime | None
    last_activity_at: datetime | None
    enrolled_at: datetime
    due_on: date | None
    status: str
    region_code: str | None
    cohort_id: int | None
    course: _CourseCounts


def _course_column(column: sa.orm.InstrumentedAttribute) -> sa.Label:
    """A column of the enrolment's course, for the RETURNING of an UPDATE of enrolments."""
    return (
        sa.select(column)
        .where(Course.id == _enrolments.c.course_id)
        .scalar_subquery()
        .label(f"course_{column.key}")
    )


_COUNTED_COLUMNS = (
    _enrolments.c.id,
    _enrolments.c.course_id,
    _enrolments.c.lessons_done,
    _enrolments.c.completed_at,
    _enrolments.c.last_activity_at,
    _enrolments.c.enrolled_at,
    _enrolments.c.due_on,
    _enrolments.c.status,
    _enrolments.c.region_code,
    _enrolments.c.cohort_id,
    _course_column(Course.lesson_count),
    _course_column(Course.completion_kind),
    _course_column(Course.completion_percent),
    _course_column(Course.completion_items),
)


def _counting_update(stuck_on_quiz: sa.ColumnElement[bool] | None) -> sa.Update:
    """The enrolment's UPDATE for a completion or its undoing, built once per stuck condition (kept
    with the condition, so that an id reused by another object never matches)."""
    statement = _COUNTING_UPDATES.get(id(stuck_on_quiz), (None, None))
    if statement[0] is not stuck_on_quiz or statement[1] is None:
        values = {
            "lessons_done": _enrolments.c.lessons_done + sa.bindparam("delta"),
            "last_activity_at": sa.bindparam("now"),
        }
        if stuck_on_quiz is not None:
            values["stuck_on_quiz"] = stuck_on_quiz
        update = (
            sa.update(_enrolments)
            .where(
                _enrolments.c.user_id == sa.bindparam("counted_user_id"),
                _enrolments.c.course_id == sa.bindparam("counted_course_id"),
            )
            .values(values)
            .returning(*_COUNTED_COLUMNS)
        )
        statement = _COUNTING_UPDATES[id(stuck_on_quiz)] = (stuck_on_quiz, update)
    return statement[1]


_COUNTING_UPDATES: dict[int, tuple[sa.ColumnElement[bool] | None, sa.Update | None]] = {}


def _count_completion(
    user: User,
    lesson: Lesson,
    delta: int,
    now: datetime,
    *,
    stuck_on_quiz: sa.ColumnElement[bool] | None = None,
) -> bool:
    """Move the enrolment's count of done lessons by `delta` and all that follows from it: its
    completion and status, the region's and cohort's rollups, and the followers of
    `enrolment_progressed` when the course's completion may have changed. True when this call
    recorded the enrolment's completion.

    One UPDATE … RETURNING gives the new counts with the course's figures (no refresh, no lazy load
    of the course); a second UPDATE runs only when the completion or the status moves.
    """
    connection = db.session.connection()
    statement = _counting_update(stuck_on_quiz)
    # Only live items are counted (as the import's recount counts them): an archived item's
    # completion or undoing moves the activity time, not the count.
    counted = delta if lesson.archived_at is None else 0
    params = {"counted_user_id": user.id, "counted_course_id": lesson.course_id, "delta": counted, "now": now}
    row = connection.execute(statement, params).first()
    if row is None:  # not enrolled yet: an item done before the course's pages enrolled them
        enrol(user, lesson.course)
        db.session.flush()  # its counts in the rollups (count_new) are written before ours
        row = connection.execute(statement, params).one()
    enrolment = CountedEnrolment(
        id=row.id,
        course_id=row.course_id,
        lessons_done=row.lessons_done,
        completed_at=row.completed_at,
        last_activity_at=row.last_activity_at,
        enrolled_at=row.enrolled_at,
        due_on=row.due_on,
        status=row.status,
        region_code=row.region_code,
        cohort_id=row.cohort_id,
        course=_CourseCounts(row.course_lesson_count),
    )
    required = lessons_required(
        row.course_lesson_count, row.course_completion_kind, row.course_completion_percent
    )
    done = row.course_lesson_count > 0 and row.lessons_done >= required
    if done and enrolment.completed_at is None:
        enrolment.completed_at = now
    elif not done and enrolment.completed_at is not None:
        enrolment.completed_at = None
    rollups.completion_changed(enrolment, row.completed_at)
    rollups.recount(enrolment, lessons_delta=counted)
    changed = {
        name: value
        for name, value, before in (
            ("completed_at", enrolment.completed_at, row.completed_at),
            ("status", enrolment.status, row.status),
        )
        if value != before
    }
    if changed:
        connection.execute(sa.update(_enrolments).where(_enrolments.c.id == row.id).values(changed))
    loaded = db.session.identity_map.get(sa.orm.util.identity_key(Enrolment, row.id))
    if loaded is not None:
        db.session.expire(loaded)  # an Enrolment this request loaded reads the new counts
    if delta < 0 or _rule_may_hold(row, done):
        progress_signals.enrolment_progressed.send(db.session.get(Enrolment, row.id))
    return row.completed_at is None and enrolment.completed_at is not None


def _rule_may_hold(row: sa.Row, done: bool) -> bool:
    """After a completion, whether the course's completion rule may hold now, from the counts.

    Followers of `enrolment_progressed` (certificates) evaluate the rule from raw rows: counts of
    items, requirements beyond items, the completion recorded. A completion only adds a done item,
    so it can only make the rule hold, never stop it holding: when the counts show it cannot hold
    yet, the evaluation would find what the last one found, and is skipped.
    - `percent`: the rule's items part is the enrolment's completion (`done`).
    - every kind counted: each live item of the course must be done, so `lessons_done` (which
      counts every done live item) is at least `lesson_count` (the live items of live modules).
    - some kinds only: the counts cannot tell, the rule is evaluated.
    """
    if row.course_completion_kind == "percent":
        return done
    if set(ITEM_KINDS) <= set(row.course_completion_items or ()):
        return row.lessons_done >= row.course_lesson_count
    return True


def set_stuck_on_quiz(
    stuck: sa.ColumnElement[bool], *, user_id: int | None = None, course_id: int | None = None
) -> None:
    """Store whether enrolments are stuck on a quiz (the at-risk list "failed a quiz twice"), for one
    candidate's course or for all. Quizzes know what stuck means and pass it as `stuck`, a condition
    on the enrolment's user_id and course_id that the database evaluates within this one UPDATE."""
    if user_id is not None and course_id is not None:  # after grading: built once per condition
        statement = _ONE_STUCK_UPDATES.get(id(stuck), (None, None))
        if statement[0] is not stuck:
            statement = _ONE_STUCK_UPDATES[id(stuck)] = (stuck, _one_stuck_update(stuck))
        db.session.execute(statement[1], {"stuck_user_id": user_id, "stuck_course_id": course_id})
        return
    statement = sa.update(Enrolment).values(stuck_on_quiz=stuck)
    if user_id is not None:
        statement = statement.where(Enrolment.user_id == user_id)
    if course_id is not None:
        statement = statement.where(Enrolment.course_id == course_id)
    db.session.execute(statement.execution_options(synchronize_session=False))


# One candidate's course: the UPDATE per condition (quizzes pass the same one each time), kept
# with the condition itself so that an id reused by another object never matches.
_ONE_STUCK_UPDATES: dict[int, tuple[sa.ColumnElement[bool], sa.Update]] = {}


def _one_stuck_update(stuck: sa.ColumnElement[bool]) -> sa.Update:
    return (
        sa.update(_enrolments)
        .where(
            _enrolments.c.user_id == sa.bindparam("stuck_user_id"),
            _enrolments.c.course_id == sa.bindparam("stuck_course_id"),
        )
        .values(stuck_on_quiz=stuck)
    )


def requirement_changed(user_id: int, kind: str, **names: str) -> int:
    """Tell the followers of `enrolment_progressed` about the user's enrolments on courses whose
    rule names this requirement (e.g. kind="attendance", seminar="vybory-2027"): its answer may
    have changed. Returns how many enrolments were told.

    The enrolments are locked, as a completion's UPDATE locks its one: of a requirement met and
    the last item done at the same moment, the later sees the earlier, or neither finds the rule
    met (PostgreSQL; SQLite runs one writer at a time)."""
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user_id, Course.archived_at.is_(None))
        .options(sa.orm.contains_eager(Enrolment.course))
        .order_by(Enrolment.id)  # locked in one order, so two such changes cannot deadlock
        .with_for_update(of=Enrolment)
        .execution_options(populate_existing=True)
    ).all()
    told = 0
    for enrolment in enrolments:
        wanted = enrolment.course.completion_requirements or []
        if any(r.get("kind") == kind and all(r.get(k) == v for k, v in names.items()) for r in wanted):
            progress_signals.enrolment_progressed.send(enrolment)
            told += 1
    return told

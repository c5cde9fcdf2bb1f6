"""What progress does when content is imported: recount a changed course, keep lessons and courses in use."""

from __future__ import annotations

import sqlalchemy as sa

from lms.content import signals as content_signals
from lms.content.models import Course, Lesson
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import module_rollup, rollups
from lms.progress import signals as progress_signals
from lms.progress.models import Enrolment, LessonProgress


def _update_course_completion(enrolment: Enrolment, now) -> None:
    course = enrolment.course
    done = course.lesson_count > 0 and enrolment.lessons_done >= course.lessons_required
    before = enrolment.completed_at
    if done and enrolment.completed_at is None:
        enrolment.completed_at = now
    elif not done and enrolment.completed_at is not None:
        enrolment.completed_at = None
    rollups.completion_changed(enrolment, before)
    db.session.flush()
    progress_signals.enrolment_progressed.send(enrolment)


def count_completed_live(user_id: int, course_id: int) -> int:
    """From raw rows: completed lessons of a course that are still live. Used by refresh and tests."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LessonProgress)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.completed_at.is_not(None),
            Lesson.course_id == course_id,
            Lesson.archived_at.is_(None),
        )
    )


def refresh_course_rollups(course: Course) -> int:
    """Recompute every enrolment's rollup of a course after its content changed; returns count."""
    done_by_user = dict(
        db.session.execute(
            sa.select(LessonProgress.user_id, sa.func.count())
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(
                Lesson.course_id == course.id,
                Lesson.archived_at.is_(None),
                LessonProgress.completed_at.is_not(None),
            )
            .group_by(LessonProgress.user_id)
        ).all()
    )
    enrolments = db.session.scalars(sa.select(Enrolment).where(Enrolment.course_id == course.id))
    now = utcnow()
    count = 0
    for enrolment in enrolments:
        before = enrolment.lessons_done
        enrolment.lessons_done = done_by_user.get(enrolment.user_id, 0)
        _update_course_completion(enrolment, now)
        rollups.recount(enrolment, lessons_delta=enrolment.lessons_done - before)
        count += 1
    return count


@content_signals.course_items_changed.connect
def _follow_course_import(course: Course, **_details) -> None:
    refresh_course_rollups(course)
    module_rollup.refresh_course(course)


@content_signals.lessons_in_use.connect
def _lessons_with_progress(_sender=None, *, lesson_ids: list[int]) -> set[int]:
    """Lessons someone opened: an import archives them instead of deleting them."""
    return set(
        db.session.scalars(
            sa.select(LessonProgress.lesson_id).where(LessonProgress.lesson_id.in_(lesson_ids)).distinct()
        )
    )


@content_signals.courses_in_use.connect
def _courses_with_enrolments(_sender=None, *, course_ids: list[int]) -> set[int]:
    """Courses someone is enrolled on: an import archives them instead of deleting them."""
    return set(
        db.session.scalars(
            sa.select(Enrolment.course_id).where(Enrolment.course_id.in_(course_ids)).distinct()
        )
    )

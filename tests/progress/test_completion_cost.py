"""Mark as done: its statements, and the completion chain it shares with quizzes and exercises.

A completion moves the enrolment's counts in one UPDATE … RETURNING (the course's figures come
back with them), evaluates the course's completion rule only when those counts allow the course to
be complete, and adds to the rollups in one upsert per row. These tests pin the statements and
check that the results are those of a recount from the raw rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.certificates.models import Certificate, CourseCompletion
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress import module_rollup, rollups
from lms.progress import services as progress
from lms.progress.models import Enrolment, LessonProgress
from tests.statements import Statements


def lesson_url(key: str) -> str:
    return f"/courses/tiny-course/lessons/{key}"


def _complete(client, auth, key: str, *, viewed: bool = True) -> list[str]:
    """POST "Mark as done" (after opening the lesson, or without: a token from the home page);
    returns its statements but BEGIN."""
    token = auth.csrf(lesson_url(key) if viewed else "/")
    with Statements() as statements:
        response = client.post(lesson_url(key) + "/complete", data={"csrf_token": token})
    assert response.status_code == 302
    return [sql for sql in statements.sql if not sql.upper().startswith("BEGIN")]


def _show(sql: list[str]) -> str:
    return "\n".join(" ".join(statement.split())[:160] for statement in sql)


def _rule_read(sql: list[str]) -> bool:
    """Whether the completion rule was evaluated (its counts, or the completion's row)."""
    return any("count(" in statement or "course_completions" in statement for statement in sql)


def test_mark_as_done_stays_within_eight_statements(client, auth, imported, make_user):
    """The user; the course, lesson and module the view checks; the progress row's UPDATE; the
    module's counts; the enrolment's counts (RETURNING the course's figures, which also tell the
    view's message); the region's rollup. The rule is not evaluated: one lesson of three."""
    make_user("anna")
    auth.login("anna")
    sql = _complete(client, auth, "l-one")
    assert len(sql) <= 8, _show(sql)
    assert not _rule_read(sql), _show(sql)
    assert not any(statement.lstrip().upper().startswith("SELECT COURSES") for statement in sql[2:])
    assert sum(statement.lstrip().upper().startswith("UPDATE ENROLMENTS") for statement in sql) == 1


def test_the_last_lesson_evaluates_the_rule_and_issues_the_certificate(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    assert not _rule_read(_complete(client, auth, "l-one"))
    assert not _rule_read(_complete(client, auth, "l-two"))
    assert _rule_read(_complete(client, auth, "l-three"))
    db.session.rollback()
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert (enrolment.lessons_done, enrolment.status) == (3, "completed")
    assert enrolment.completed_at is not None
    (completion,) = db.session.scalars(sa.select(CourseCompletion)).all()
    assert (completion.user_id, completion.course_id, completion.lapsed_at) == (
        user.id,
        enrolment.course_id,
        None,
    )
    assert [c.completion_id for c in db.session.scalars(sa.select(Certificate))] == [completion.id]


def test_the_message_tells_a_lesson_from_the_course_done(client, auth, imported, make_user):
    """Only the click that completes the course says so; a repeat click on a done lesson does not."""
    make_user("anna")
    auth.login("anna")
    messages = []
    for key in ("l-one", "l-two", "l-three", "l-three"):
        _complete(client, auth, key)
        html = client.get(lesson_url(key)).get_data(as_text=True)
        messages.append(("Курс пройден. Отличная работа!" in html, "Урок отмечен как пройденный." in html))
    assert messages == [(False, True), (False, True), (True, False), (False, True)]


def test_completions_with_and_without_a_view_count_as_a_recount_does(client, auth, imported, make_user):
    """A lesson done without being opened gets its progress row opened and completed at once (one
    INSERT when the UPDATE finds none) and is counted as opened and done in the module's one upsert;
    a double click counts once. Every count equals a recount from the raw rows."""
    user = make_user("anna")
    auth.login("anna")
    _complete(client, auth, "l-one")
    unviewed = _complete(client, auth, "l-two", viewed=False)
    assert len(unviewed) <= 10, _show(unviewed)
    _complete(client, auth, "l-one")  # the double click: already done
    db.session.rollback()
    rows = db.session.execute(
        sa.select(
            Lesson.key,
            LessonProgress.first_viewed_at,
            LessonProgress.completed_at,
            LessonProgress.completed_version,
            Lesson.version,
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id)
        .order_by(Lesson.key)
    ).all()
    assert [row.key for row in rows] == ["l-one", "l-two"]
    assert all(row.completed_at is not None and row.completed_version == row.version for row in rows)
    two = rows[1]
    assert two.first_viewed_at == two.completed_at
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.lessons_done == 2 == progress.count_completed_live(user.id, enrolment.course_id)
    assert enrolment.status == rollups.status_of(enrolment) and enrolment.completed_at is None
    incremental, modules = rollups.stats_snapshot(), module_rollup.snapshot()
    assert list(modules.values()) == [(2, 2)]
    rollups.rebuild_stats()
    assert (rollups.stats_snapshot(), module_rollup.snapshot()) == (incremental, modules)
    db.session.rollback()


def test_an_enrolment_loaded_before_a_completion_reads_the_new_counts(app, imported, make_user):
    """The counts move in SQL; an Enrolment the request loaded before is not left stale."""
    user = make_user("anna")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)
    )
    first, *_ = lessons.all()
    enrolment = progress.enrol(user, course)
    assert enrolment.lessons_done == 0
    assert progress.complete_lesson(user, first) is progress.Completed.LESSON
    assert (enrolment.lessons_done, enrolment.status) == (1, "on_track")
    assert progress.complete_lesson(user, first) is progress.Completed.NOTHING
    assert progress.uncomplete_lesson(user, first) is True
    assert enrolment.lessons_done == 0
    db.session.rollback()


def test_a_completion_before_any_enrolment_enrols_first(app, imported, make_user):
    """An item done before any page of its course was opened (an exercise through its service):
    the enrolment is made and counted, then the completion."""
    user = make_user("anna")
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.key == "l-two"))
    assert progress.complete_lesson(user, lesson) is progress.Completed.LESSON
    db.session.flush()
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert (enrolment.lessons_done, enrolment.status) == (1, "on_track")
    incremental = rollups.stats_snapshot()
    assert incremental["region"][("77", lesson.course_id)][0] == 1  # total: one enrolment
    rollups.rebuild_stats()
    assert rollups.stats_snapshot() == incremental
    db.session.rollback()

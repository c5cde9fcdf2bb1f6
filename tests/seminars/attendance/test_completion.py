"""Attendance in a course's completion rule: `completion: {attendance: {seminar: key}}` parsed and
linted, answered by seminars through `progress.signals.requirement_met`, and a mark (list, QR,
offline queue) evaluating the certificate again: issued once the share is reached, lapsed when a
correction lowers it."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.certificates import services as certificates
from lms.certificates.models import Certificate, CourseCompletion
from lms.content.loader import load_tree
from lms.content.models import Course, Lesson
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.signals import requirement_holds
from lms.seminars import attendance
from lms.seminars.attendance_models import Attendance
from lms.seminars.models import SeminarSession
from tests.seminars.attendance.conftest import session

COURSE_MD = """---
id: tiny-course
title: Крошечный курс
summary: Курс для тестов загрузчика и приложения
modules:
  - 01-one
  - 02-two
completion: {rule}
---
Текст.
"""
AT = "c/tiny-course/course.md:8:"
EVERY = ("lesson", "quiz", "scenario", "assignment", "survey")


def with_rule(courses_dir: Path, rule: str) -> Path:
    (courses_dir / "tiny-course" / "course.md").write_text(COURSE_MD.format(rule=rule), encoding="utf-8")
    return courses_dir


def problems(folder: Path) -> list[str]:
    result = load_tree(folder, display_prefix="c")
    return [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in result.problems]


def attendance_of(seminar: str, percent: int | None = None) -> dict:
    return {"kind": "attendance", "seminar": seminar, "percent": percent}


# --- parsing and lint ---------------------------------------------------------------------------


RULES = [
    ("{lessons: all, attendance: {seminar: vybory-2027}}", "items", EVERY, [attendance_of("vybory-2027")]),
    ("{attendance: {seminar: vybory, percent: 80}}", "all", EVERY, [attendance_of("vybory", 80)]),
    ("{percent: 50, attendance: {seminar: v, percent: 0}}", "percent", EVERY, [attendance_of("v", 0)]),
    ("{surveys: none, attendance: {seminar: vybory}}", "items", EVERY[:-1], [attendance_of("vybory")]),
    ("{lessons: all}", "items", EVERY, []),
    ("all", "all", EVERY, []),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "kind", "kinds", "requirements"), RULES)
def test_the_rule_may_ask_for_a_seminars_attendance(courses_dir, rule, kind, kinds, requirements):
    result = load_tree(with_rule(courses_dir, rule))
    assert result.problems == []
    (loaded,) = result.courses
    rule_read = loaded.completion
    assert (rule_read.kind, rule_read.kinds, rule_read.requirements) == (kind, kinds, requirements)


MISTAKES = [
    (
        "{attendance: {percent: 80}}",
        "{percent",
        "E108 'completion.attendance' must name its seminar (`seminar: id`)",
    ),
    (
        "{attendance: {seminar: Vybory_2027}}",
        "Vybory",
        "E109 invalid id 'Vybory_2027' in 'completion.attendance.seminar': use 1-80 lowercase latin"
        " letters, digits and '-', starting with a letter or digit",
    ),
    (
        "{attendance: {seminar: vybory, percent: 120}}",
        "120",
        "E108 'completion.attendance.percent' must be a whole number from 0 to 100",
    ),
    (
        "{attendance: {seminr: vybory}}",
        "seminr",
        "E106 unknown key 'seminr' in 'completion.attendance' (did you mean 'seminar'?)",
    ),
    (
        "{attendence: {seminar: vybory}}",
        "attendence",
        "E106 unknown key 'attendence' in 'completion' (did you mean 'attendance'?)",
    ),
    (
        "{attendance: vybory}",
        "vybory",
        "E108 'completion.attendance' must be a mapping of `name: value` lines",
    ),
    (
        "{attendance: {seminar: a}, attendance: {seminar: b}}",
        "attendance: {seminar: b",
        "E107 duplicate key 'attendance' in 'completion'",
    ),
]


@pytest.mark.parametrize(("rule", "at", "problem"), MISTAKES)
def test_a_wrong_attendance_requirement_is_reported_where_it_is(courses_dir, rule, at, problem):
    column = len("completion: ") + rule.index(at) + 1
    assert problems(with_rule(courses_dir, rule)) == [f"{AT}{column}: {problem}"]


def test_the_requirement_is_stored_on_the_course(imported, courses_dir, make_seminar):
    make_seminar("vybory")  # a seminar nobody knows is refused (E214: test_seminar_keys.py)
    sync_tree(with_rule(courses_dir, "{attendance: {seminar: vybory, percent: 50}}"))
    db.session.commit()
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    assert course.completion_requirements == [attendance_of("vybory", 50)]


# --- answered by seminars -----------------------------------------------------------------------


def test_the_share_attended_answers_the_requirement(people, seminar):
    anna = people.anna
    assert not requirement_holds(anna.id, attendance_of("vybory", 50))  # nothing marked yet
    attendance.mark(session(seminar, "s1"), anna, "present", by=people.igor)
    attendance.mark(session(seminar, "s2"), anna, "excused", by=people.igor)  # not attended
    assert requirement_holds(anna.id, attendance_of("vybory", 50))
    assert not requirement_holds(anna.id, attendance_of("vybory", 51))
    assert not requirement_holds(people.boris.id, attendance_of("vybory", 50))


def test_without_a_percent_the_seminars_own_requirement_counts(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "late", by=people.igor)
    assert not requirement_holds(people.anna.id, attendance_of("vybory"))  # none set: every session
    seminar.attendance_required_percent = 50
    db.session.flush()
    assert requirement_holds(people.anna.id, attendance_of("vybory"))
    seminar.attendance_required_percent = 75
    db.session.flush()
    assert not requirement_holds(people.anna.id, attendance_of("vybory"))


def test_an_unknown_seminar_or_an_unanswered_kind_is_not_met(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    assert requirement_holds(people.anna.id, attendance_of("vybory", 0))
    assert not requirement_holds(people.anna.id, attendance_of("no-such-seminar", 0))
    assert not requirement_holds(people.anna.id, {"kind": "exam", "key": "x"})


# --- certificates follow the marks --------------------------------------------------------------


def finish_lessons(user) -> None:
    for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.archived_at.is_(None))):
        progress.complete_lesson(user, lesson)
    db.session.commit()


def certificate_of(user) -> Certificate | None:
    return db.session.scalar(sa.select(Certificate).where(Certificate.user_id == user.id))


def completion_of(user) -> CourseCompletion | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(CourseCompletion).where(CourseCompletion.user_id == user.id))


@pytest.fixture
def ruled(people, seminar, courses_dir) -> None:
    """The tiny course completes with every lesson read and half the seminar's two sessions."""
    sync_tree(with_rule(courses_dir, "{lessons: all, attendance: {seminar: vybory, percent: 50}}"))
    db.session.commit()


def test_the_certificate_comes_with_the_mark_that_reaches_the_share(people, seminar, ruled):
    anna = people.anna
    finish_lessons(anna)
    assert certificate_of(anna) is None  # every lesson read, no session attended

    attendance.mark(session(seminar, "s2"), anna, "absent", by=people.igor)
    db.session.commit()
    assert certificate_of(anna) is None

    attendance.mark(session(seminar, "s1"), anna, "present", by=people.igor)
    db.session.commit()
    certificate = certificate_of(anna)
    assert certificate is not None and certificate.course_title == "Крошечный курс"
    assert completion_of(anna).lapsed_at is None


def test_attendance_alone_does_not_complete_the_course(people, seminar, ruled):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    db.session.commit()
    assert completion_of(people.anna) is None


def test_a_correction_that_lowers_the_share_marks_the_completion_lapsed(people, seminar, ruled):
    anna = people.anna
    finish_lessons(anna)
    attendance.mark(session(seminar, "s1"), anna, "present", by=people.igor)
    attendance.mark(session(seminar, "s2"), anna, "excused", by=people.igor)
    db.session.commit()
    assert certificate_of(anna) is not None

    # Excused never counted as attended: correcting it to absent changes nothing.
    attendance.mark(session(seminar, "s2"), anna, "absent", by=people.igor)
    db.session.commit()
    assert completion_of(anna).lapsed_at is None

    # Present corrected to absent: 0 of 2 sessions. The completion and its certificate stay, lapsed.
    attendance.mark(session(seminar, "s1"), anna, "absent", by=people.igor)
    db.session.commit()
    assert completion_of(anna).lapsed_at is not None
    assert certificate_of(anna) is not None

    attendance.mark(session(seminar, "s2"), anna, "late", by=people.igor)
    db.session.commit()
    assert completion_of(anna).lapsed_at is None  # met again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1


def test_a_mark_on_the_list_page_issues_the_certificate(auth, people, seminar, ruled):
    finish_lessons(people.anna)
    auth.login("igor")
    take = "/seminars/vybory/sessions/s1/attendance"
    prefix = f"p{people.anna.id}-"
    form = {f"{prefix}status": "present", f"{prefix}note": "", f"{prefix}client_id": str(uuid.uuid4())}
    assert auth.post(f"{take}/{people.anna.id}", form, page=take).status_code == 302
    db.session.rollback()
    assert certificate_of(people.anna) is not None


def test_a_qr_check_in_issues_the_certificate(auth, client, people, seminar, ruled):
    finish_lessons(people.anna)
    auth.login("igor")
    html = client.get("/seminars/vybory/sessions/s1/qr").get_data(as_text=True)
    token = re.search(r"/check-in/([A-Za-z0-9_.-]+)", html).group(1)
    auth.logout()
    auth.login("anna")
    url = f"/seminars/vybory/sessions/s1/check-in/{token}"
    assert auth.post(url, page=url).status_code == 302
    db.session.rollback()
    assert certificate_of(people.anna) is not None


def test_a_mark_and_the_last_lesson_at_the_same_moment_issue_the_certificate(app, people, seminar, ruled):
    """The mark's transaction is open while the last lesson is completed: whichever commits second
    must see the other's work, or neither would find the rule met."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    anna_id, igor_id, session_id = people.anna.id, people.igor.id, session(seminar, "s1").id
    *first, last = db.session.scalars(
        sa.select(Lesson).where(Lesson.archived_at.is_(None)).order_by(Lesson.id)
    )
    for lesson in first:
        progress.complete_lesson(people.anna, lesson)
    db.session.commit()
    last_id = last.id
    marked, completed = threading.Event(), threading.Event()
    onlooker = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)

    def completion_waits_for_a_lock() -> bool:
        with onlooker.connect() as connection:
            return bool(
                connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            )

    def mark_then_commit() -> None:
        with app.app_context():
            anna, igor = db.session.get(User, anna_id), db.session.get(User, igor_id)
            attendance.mark(db.session.get(SeminarSession, session_id), anna, "present", by=igor)
            marked.set()
            while not completed.wait(0.05) and not completion_waits_for_a_lock():
                pass  # the completion ran past this uncommitted mark, or waits for it
            db.session.commit()

    def complete_the_last_lesson() -> None:
        marked.wait()
        with app.app_context():
            progress.complete_lesson(db.session.get(User, anna_id), db.session.get(Lesson, last_id))
            db.session.commit()
        completed.set()

    threads = [threading.Thread(target=mark_then_commit), threading.Thread(target=complete_the_last_lesson)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    onlooker.dispose()
    db.session.rollback()
    assert certificate_of(people.anna) is not None


def test_flask_lms_completions_reads_attendance_too(app, people, seminar, ruled):
    finish_lessons(people.anna)
    # Marks written without the service (say, restored from a backup): only the recount sees them.
    db.session.add(Attendance(session_id=session(seminar, "s1").id, user_id=people.anna.id, status="present"))
    db.session.commit()
    assert certificate_of(people.anna) is None

    result = app.test_cli_runner().invoke(args=["lms", "completions"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert certificate_of(people.anna) is not None
    assert certificates.recompute_all().issued == 0  # a second run changes nothing

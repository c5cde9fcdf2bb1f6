"""The course page tells a candidate that their course needs a seminar's attendance and how far they
are: answered by seminars through `progress.signals.requirement_progress`, in one statement more
than the page's own, and only for a course whose rule asks for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress.signals import requirement_holds
from lms.seminars import attendance
from lms.seminars.attendance import AttendanceSummary
from lms.seminars.attendance_progress import sessions_needed
from lms.seminars.importer import import_folder
from lms.seminars.models import Seminar, SeminarSession
from tests.seminars.attendance.conftest import session
from tests.seminars.attendance.test_completion import attendance_of, with_rule
from tests.statements import Statements

COURSE = "/courses/tiny-course"


def requirement(html: str) -> str | None:
    """The "To complete the course" section as one line of text, links kept; None without it."""
    found = re.search(r'<section class="card course-requirements".*?</section>', html, re.S)
    return " ".join(found.group(0).split()) if found else None


def page(client) -> str | None:
    response = client.get(COURSE)
    assert response.status_code == 200
    return requirement(response.get_data(as_text=True))


def with_attendance_rule(courses_dir, rule: str) -> None:
    sync_tree(with_rule(courses_dir, rule))
    db.session.commit()


@pytest.fixture
def half(people, seminar, courses_dir) -> None:
    """The tiny course asks for half the seminar's two sessions."""
    with_attendance_rule(courses_dir, "{lessons: all, attendance: {seminar: vybory, percent: 50}}")


def test_the_page_shows_the_requirement_and_follows_the_marks(client, auth, people, seminar, half):
    auth.login("anna")
    shown = page(client)
    assert shown is not None
    assert (
        'нужно посетить не менее 50 % занятий семинара «<a href="/seminars/vybory">Семинар vybory</a>»'
        in shown
    )
    assert "Посещено занятий: 0 из 1 необходимых (всего в программе 2)" in shown
    assert "осталось посетить ещё 1 занятие" in shown and "attendance-met" not in shown

    attendance.mark(session(seminar, "s2"), people.anna, "absent", by=people.igor)
    attendance.mark(session(seminar, "s1"), people.anna, "late", by=people.igor)
    db.session.commit()
    shown = page(client)
    assert "Посещено занятий: 1 из 1 необходимых (всего в программе 2)" in shown
    assert "Требование о посещении выполнено" in shown and "attendance-not-met" not in shown
    assert requirement_holds(people.anna.id, attendance_of("vybory", 50))  # the page agrees with the rule

    attendance.mark(session(seminar, "s1"), people.anna, "excused", by=people.igor)  # a correction
    db.session.commit()
    shown = page(client)
    assert "Посещено занятий: 0 из 1" in shown and "осталось посетить ещё 1 занятие" in shown


def test_without_a_percent_the_seminar_s_own_share_is_shown(client, auth, people, seminar, courses_dir):
    with_attendance_rule(courses_dir, "{attendance: {seminar: vybory}}")
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    db.session.commit()
    auth.login("anna")
    shown = page(client)  # the seminar sets no share: every session
    assert "нужно посетить все занятия семинара" in shown and "не менее" not in shown
    assert "Посещено занятий: 1 из 2 необходимых (всего в программе 2)" in shown

    seminar.attendance_required_percent = 75
    db.session.commit()
    shown = page(client)
    assert "не менее 75 % занятий" in shown
    assert "Посещено занятий: 1 из 2 необходимых (всего в программе 2)" in shown
    assert "осталось посетить ещё 1 занятие" in shown
    assert not requirement_holds(people.anna.id, attendance_of("vybory"))


def test_a_candidate_not_invited_sees_the_seminar_unlinked(client, auth, people, seminar, half):
    auth.login("stranger")  # region 50 is not invited
    shown = page(client)
    assert "семинара «Семинар vybory»" in shown and "/seminars/vybory" not in shown
    assert "Посещено занятий: 0 из 1 необходимых (всего в программе 2)" in shown


def test_an_unknown_seminar_or_one_without_sessions_is_never_met(client, auth, people, seminar, courses_dir):
    """The import refuses a rule naming no seminar (E214); a seminar whose key changed after the
    import leaves the course naming one that is gone: shown by its key, unlinked, never met."""
    with_attendance_rule(courses_dir, "{attendance: {seminar: vybory, percent: 50}}")
    seminar.key = "vybory-2"
    db.session.commit()
    auth.login("anna")
    shown = page(client)
    assert "семинара «vybory»" in shown and "<a " not in shown
    assert "В программе семинара пока нет занятий" in shown
    assert "Требование о посещении пока не выполнено" in shown


def test_the_page_speaks_english_too(client, auth, people, seminar, half):
    auth.login("anna")
    auth.post("/language/en", {"next": COURSE})
    shown = page(client)
    assert "Completion needs 50% attendance of the seminar" in shown
    assert "Sessions attended: 0 of the 1 needed (2 in the programme)." in shown
    assert "Not met yet: 1 more session to attend." in shown


def test_staff_and_courses_without_the_requirement_show_nothing(client, auth, people, seminar, courses_dir):
    auth.login("anna")
    assert page(client) is None  # the tiny course asks for items only
    auth.logout()
    with_attendance_rule(courses_dir, "{attendance: {seminar: vybory, percent: 50}}")
    auth.login("igor")
    assert page(client) is None  # an instructor has no attendance of their own to show


def test_the_requirement_costs_one_statement_and_its_absence_none(client, auth, people, seminar, courses_dir):
    auth.login("anna")
    auth.post(f"{COURSE}/start", page=COURSE)
    client.get(COURSE)  # the outline is cached from here on
    with Statements() as statements:
        client.get(COURSE)
    assert statements.verbs == ["SELECT"], statements.sql

    with_attendance_rule(courses_dir, "{lessons: all, attendance: {seminar: vybory, percent: 50}}")
    client.get(COURSE)
    with Statements() as statements:
        shown = page(client)
    assert shown is not None
    # The page's own statement, then the seminar's one row (title, sessions, attended, invited).
    assert statements.verbs == ["SELECT", "SELECT"], statements.sql
    assert "seminar_sessions" in statements.sql[1] and "attendance" in statements.sql[1]


@pytest.mark.parametrize("total", range(1, 13))
def test_sessions_needed_is_where_the_rule_turns(total):
    for percent in [*range(0, 101), 33.3, 66.7, 99.9]:
        needed = sessions_needed(percent, total)
        assert AttendanceSummary(needed, total, percent).met, (percent, total)
        assert needed == 0 or not AttendanceSummary(needed - 1, total, percent).met, (percent, total)


def test_sessions_needed_without_sessions():
    assert sessions_needed(75, 0) == 0 and sessions_needed(0, 0) == 0


ROOT = Path(__file__).resolve().parents[3]


def test_the_sample_course_asks_for_three_quarters_of_the_sample_seminar(client, auth, app, make_user):
    """courses/seminar-2027 with seminars/vybory-2027.md, as `flask lms import` brings them."""
    app.config["SEMINARS_DIR"] = str(ROOT / "seminars")  # the course's rule names this seminar (E214)
    sync_tree(ROOT / "courses")
    import_folder(ROOT / "seminars")
    db.session.commit()
    make_user("anna", region="77")  # Moscow is invited
    auth.login("anna")
    response = client.get("/courses/seminar-2027")
    shown = requirement(response.get_data(as_text=True))
    sessions = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SeminarSession)
        .join(Seminar, Seminar.id == SeminarSession.seminar_id)
        .where(Seminar.key == "vybory-2027")
    )
    assert sessions > 0
    assert "нужно посетить не менее 75 % занятий семинара" in shown
    assert (
        '<a href="/seminars/vybory-2027">Выборы-2027: семинар руководителей региональных исполкомов</a>'
        in shown
    )
    needed = sessions_needed(75, sessions)
    assert f"Посещено занятий: 0 из {needed} необходимых (всего в программе {sessions})" in shown

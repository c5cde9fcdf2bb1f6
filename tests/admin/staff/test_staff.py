"""Course staff: admins assign instructors to courses; an instructor's queue, grading, item analysis and
progress view cover only the courses they teach (lms.content.staff.taught_course_ids)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.content.models import Course, CourseStaff, Lesson
from lms.content.staff import taught_course_ids
from lms.exercises.models import Submission
from lms.extensions import db
from lms.progress import cohorts
from lms.progress import services as progress
from lms.progress.models import Enrolment
from tests.admin.staff.conftest import course_id
from tests.statements import Statements
from tests.teaching import teach

STAFF_PAGE = "/admin/courses/"
TOTAL = "Всего: {}. Сначала самые давние."


def fresh() -> None:
    db.session.rollback()  # end the test's read snapshot to see what requests committed


# --- the admin page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "region", "expected"),
    [
        ("admin", None, 200),
        ("coordinator", None, 403),
        ("coordinator", "77", 403),
        ("instructor", None, 403),
        ("candidate", "77", 403),
    ],
)
def test_course_staff_is_for_admins_only(client, auth, imported, make_user, role, region, expected):
    make_user("someone", role=role, region=region)
    make_user("igor", role="instructor")
    auth.login("someone")
    assert client.get(STAFF_PAGE).status_code == expected
    igor = db.session.scalar(sa.select(User.id).where(User.username == "igor"))
    course = course_id("ex-course")
    response = auth.post(f"{STAFF_PAGE}{course}/staff", {f"add-{course}-user": str(igor)}, page="/")
    assert response.status_code == (302 if expected == 200 else expected)
    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseStaff)) == (expected == 200)


def test_anonymous_visitors_go_to_login(client, imported):
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_adds_and_removes_an_instructor(client, auth, imported, make_user):
    make_user("root", role="admin")
    igor = make_user("igor", role="instructor", full_name="Игорь Петров")
    gone = make_user("gone", role="instructor", full_name="Уволенный")
    gone.is_active_account = False
    anna = make_user("anna", region="77")
    db.session.commit()
    a, b = course_id("ex-course"), course_id("ex-course-b")
    auth.login("root")
    html = client.get(STAFF_PAGE).get_data(as_text=True)
    assert f'id="course-{a}"' in html and f'id="course-{b}"' in html
    assert f'<option value="{igor.id}">' in html and f'value="{gone.id}"' not in html
    assert f'value="{anna.id}"' not in html  # only instructors are offered

    response = auth.post(f"{STAFF_PAGE}{a}/staff", {f"add-{a}-user": str(igor.id)}, page=STAFF_PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#course-{a}")
    auth.post(f"{STAFF_PAGE}{a}/staff", {f"add-{a}-user": str(igor.id)}, page=STAFF_PAGE)  # again: no change
    for refused in (anna.id, gone.id, 999999):
        response = auth.post(f"{STAFF_PAGE}{a}/staff", {f"add-{a}-user": str(refused)}, page=STAFF_PAGE)
        assert response.status_code == 400 and "field-error" in response.get_data(as_text=True), refused
    fresh()
    assert db.session.scalars(
        sa.select(CourseStaff.course_id).where(CourseStaff.user_id == igor.id)
    ).all() == [a]
    section = re.search(
        rf'id="course-{a}".*?</section>', client.get(STAFF_PAGE).get_data(as_text=True), re.S
    ).group(0)
    assert "Игорь Петров" in section and f"/admin/courses/{a}/staff/{igor.id}/remove" in section

    assert auth.post(f"{STAFF_PAGE}{a}/staff/{igor.id}/remove", page=STAFF_PAGE).status_code == 302
    assert auth.post(f"{STAFF_PAGE}{a}/staff/{igor.id}/remove", page=STAFF_PAGE).status_code == 404
    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseStaff)) == 0
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("staff.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_name, e.target_id, e.details["instructor"]) for e in events] == [
        ("staff.add", "root", str(a), "igor"),
        ("staff.remove", "root", str(a), "igor"),
    ]


def test_the_rule_in_one_function(imported, make_user):
    root = make_user("root", role="admin")
    igor = make_user("igor", role="instructor")
    olga = make_user("olga", role="coordinator")
    anna = make_user("anna", region="77")
    teach("igor", "ex-course-b")
    assert taught_course_ids(root) is None
    assert db.session.scalars(taught_course_ids(igor)).all() == [course_id("ex-course-b")]
    for nobody in (olga, anna):
        assert db.session.scalars(taught_course_ids(nobody)).all() == []


# --- what an instructor sees ---------------------------------------------------------------------------


def _queue_links(client, query: str = "") -> set[str]:
    html = client.get("/review" + query).get_data(as_text=True)
    return set(re.findall(r'href="(/review/(?:submissions|playthroughs)/\d+)"', html))


def test_the_queue_holds_only_the_instructors_courses(client, auth, work, make_user):
    make_user("igor", role="instructor")
    make_user("root", role="admin")
    auth.login("igor")
    html = client.get("/review").get_data(as_text=True)
    assert 'id="no-courses"' in html and 'id="queue"' not in html  # teaches nothing yet: a hint
    teach("igor", "ex-course")
    mine = {
        f"/review/submissions/{work.submission['ex-course']}",
        f"/review/playthroughs/{work.playthrough['ex-course']}",
    }
    html = client.get("/review").get_data(as_text=True)
    assert 'id="no-courses"' not in html and TOTAL.format(2) in html
    assert _queue_links(client) == mine
    assert _queue_links(client, "?course=ex-course-b") == set()  # a filter cannot widen the scope
    options = re.search(
        r'<select id="course".*?</select>', client.get("/review").get_data(as_text=True), re.S
    )
    assert 'value="ex-course"' in options.group(0) and "ex-course-b" not in options.group(0)
    auth.logout()
    auth.login("root")
    assert len(_queue_links(client)) == 4  # admins see every course


def test_an_instructor_cannot_open_work_of_other_courses(client, auth, work, make_user):
    make_user("igor", role="instructor")
    teach("igor", "ex-course")
    auth.login("igor")
    theirs, mine = work.submission["ex-course-b"], work.submission["ex-course"]
    assert client.get(f"/review/submissions/{theirs}").status_code == 404
    assert (
        auth.post(
            f"/review/submissions/{theirs}", {"decision": "accept", "version": "1"}, page="/review"
        ).status_code
        == 404
    )
    assert client.get(f"/review/playthroughs/{work.playthrough['ex-course-b']}").status_code == 404
    response = auth.post(
        f"/review/playthroughs/{work.playthrough['ex-course-b']}", {"comment": "Чужое"}, page="/review"
    )
    assert response.status_code == 404
    response = client.get(f"/submissions/{theirs}/files/{work.attachment['ex-course-b']}")
    assert response.status_code == 404
    response.close()
    fresh()
    assert db.session.get(Submission, theirs).status == "submitted"  # not claimed by opening it
    assert client.get(f"/review/submissions/{mine}").status_code == 200
    assert client.get(f"/review/playthroughs/{work.playthrough['ex-course']}").status_code == 200
    response = client.get(f"/submissions/{mine}/files/{work.attachment['ex-course']}")
    assert response.status_code == 200
    response.close()


def test_item_analysis_follows_the_courses_taught(client, auth, imported, make_user):
    analysis = "/courses/quiz-course/quizzes/q-all/analysis"
    make_user("igor", role="instructor")
    teach("igor", "ex-course")
    auth.login("igor")
    assert client.get(analysis).status_code == 404
    assert analysis not in client.get("/courses/quiz-course/quizzes/q-all").get_data(as_text=True)
    teach("igor", "quiz-course")
    assert client.get(analysis).status_code == 200
    assert analysis in client.get("/courses/quiz-course/quizzes/q-all").get_data(as_text=True)
    for name, role, region in (
        ("root", "admin", None),
        ("olga", "coordinator", None),
        ("pavel", "coordinator", "77"),
    ):
        auth.logout()
        make_user(name, role=role, region=region)
        auth.login(name)
        assert client.get(analysis).status_code == 200, name


# --- the instructors' progress view ----------------------------------------------------------------------


@pytest.fixture
def enrolled(imported, make_user):
    """On course A: five Moscow candidates in a cohort (one halfway) and two from Tver; one on course B."""
    from datetime import date

    a = db.session.get(Course, course_id("ex-course"))
    b = db.session.get(Course, course_id("ex-course-b"))
    cohort = cohorts.create_cohort("Москва-А", region_code="77")
    cohorts.set_course(cohort, a, date(2099, 12, 31))
    moscow = [make_user(f"msk{i}", region="77", full_name=f"Москвич {i}") for i in range(5)]
    cohorts.add_members(cohort, moscow)
    progress.complete_lesson(moscow[0], db.session.scalar(sa.select(Lesson).where(Lesson.key == "ex-urok")))
    for name in ("tver0", "tver1"):
        progress.enrol(make_user(name, region="69", full_name=f"Тверич {name[-1]}"), a)
    progress.enrol(make_user("other", region="69", full_name="Чужой курс"), b)
    db.session.commit()
    return cohort.id


def test_the_progress_view_shows_only_taught_courses(client, auth, enrolled, make_user):
    make_user("igor", role="instructor")
    auth.login("igor")
    html = client.get("/dashboard/teaching").get_data(as_text=True)
    assert 'id="no-courses"' in html
    assert client.get("/dashboard/teaching/ex-course").status_code == 404
    teach("igor", "ex-course")
    html = client.get("/dashboard/teaching").get_data(as_text=True)
    assert '/dashboard/teaching/ex-course"' in html and "/dashboard/teaching/ex-course-b" not in html
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><a href=\"/dashboard/teaching/ex-course\">.*?</tr>", html, re.S
    )
    assert re.findall(r"<td>(\d+)</td>", row.group(0)) == ["7", "0", "0", "0", "6"]
    assert client.get("/dashboard/teaching/ex-course-b").status_code == 404
    assert client.get("/dashboard/teaching/no-such-course").status_code == 404


def test_the_progress_view_lists_filters_and_reads_only(client, auth, enrolled, make_user):
    make_user("igor", role="instructor")
    teach("igor", "ex-course")
    auth.login("igor")
    url = "/dashboard/teaching/ex-course"
    html = client.get(url).get_data(as_text=True)
    names = re.findall(r'<th scope="row">([^<]+) <span class="muted">', html)
    assert names == [f"Москвич {i}" for i in range(5)] + ["Тверич 0", "Тверич 1"]
    first = re.search(r"Москвич 0.*?</tr>", html, re.S).group(0)
    assert "Москва-А" in first and "<td>33\u00a0%</td>" in first and "в графике" in first
    assert "31 дек. 2099" in first
    assert "Чужой курс" not in html
    main = html.split('<main id="main"', 1)[1]
    assert 'method="post"' not in main and "/dashboard/candidates/" not in main  # nothing to edit or open
    assert len(re.findall(r'<th scope="row">', client.get(url + "?region=69").get_data(as_text=True))) == 2
    assert (
        len(re.findall(r'<th scope="row">', client.get(url + f"?cohort={enrolled}").get_data(as_text=True)))
        == 5
    )
    assert (
        len(re.findall(r'<th scope="row">', client.get(url + "?status=on_track").get_data(as_text=True))) == 1
    )
    for hostile in (
        "?cohort=abc",
        "?cohort=99999999999999999999999",
        "?status=<script>",
        "?region=xxxxxxxx",
        "?page=-1",
    ):
        assert client.get(url + hostile).status_code == 200, hostile


def test_the_progress_view_pages_without_queries_per_row(client, auth, enrolled, make_user):
    from lms.accounts.services import create_user

    a = db.session.get(Course, course_id("ex-course"))
    for i in range(50):
        progress.enrol(
            create_user(f"bulk{i:02d}", None, "candidate", region_code="50", full_name=f"Я {i:02d}"), a
        )
    db.session.commit()
    make_user("igor", role="instructor")
    teach("igor", "ex-course")
    auth.login("igor")
    url = "/dashboard/teaching/ex-course"
    with Statements("SELECT") as one_page:
        first = client.get(url).get_data(as_text=True)
    assert first.count('<th scope="row">') == 50 and "57 кандидатов." in first
    assert f'href="{url}?page=2"' in first
    with Statements("SELECT") as filtered:
        second = client.get(url + "?page=2&region=77").get_data(as_text=True)
    assert second.count('<th scope="row">') == 0  # page 2 of five Moscow candidates
    assert len(one_page.sql) == len(filtered.sql), one_page.sql


@pytest.mark.parametrize(
    ("role", "region"), [("candidate", "77"), ("coordinator", None), ("coordinator", "77")]
)
def test_the_progress_view_is_for_instructors_and_admins(client, auth, enrolled, make_user, role, region):
    make_user("someone", role=role, region=region)
    auth.login("someone")
    assert client.get("/dashboard/teaching").status_code == 403
    assert client.get("/dashboard/teaching/ex-course").status_code == 403


def test_admins_see_every_course_in_the_progress_view(client, auth, enrolled, make_user):
    make_user("root", role="admin")
    auth.login("root")
    html = client.get("/dashboard/teaching").get_data(as_text=True)
    assert all(f'/dashboard/teaching/{key}"' in html for key in ("ex-course", "ex-course-b", "quiz-course"))
    assert "Чужой курс" in client.get("/dashboard/teaching/ex-course-b").get_data(as_text=True)


# --- demo data ---------------------------------------------------------------------------------------------


def test_demo_instructor_teaches_every_live_course(runner, imported):
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0, first.output
    assert "instructor now teaches 3 more course(s)" in first.output
    instructor = db.session.scalar(sa.select(User).where(User.username == "instructor"))
    assert sorted(db.session.scalars(taught_course_ids(instructor)).all()) == sorted(
        db.session.scalars(sa.select(Course.id).where(Course.archived_at.is_(None))).all()
    )
    second = runner.invoke(args=["lms", "demo"])
    assert second.exit_code == 0 and "teaches" not in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 3  # the demo candidate's

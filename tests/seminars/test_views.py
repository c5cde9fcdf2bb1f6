"""The seminar pages for each role: participants, readers (regional coordinators, instructors),
managers (admins, national coordinators), and everybody else (404 / 403 / login)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.content.models import Lesson
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession, SessionLink
from tests.conftest import csrf_from


@pytest.fixture
def anna(make_user):
    """A candidate of region 77: invited."""
    return make_user("anna", full_name="Анна", region="77")


def actions() -> list[str]:
    """The seminar actions audited, in order."""
    query = sa.select(AuditEvent.action).where(AuditEvent.action.like("seminar.%")).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


# --- participants -----------------------------------------------------------------------------


def test_a_participant_sees_the_programme_with_what_to_prepare_and_whether_done(
    client, auth, programme, anna
):
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.key == "l-three"))
    from lms.core.time import utcnow

    db.session.add(
        LessonProgress(user_id=anna.id, lesson_id=lesson.id, completed_at=utcnow(), completed_version=1)
    )
    db.session.commit()
    auth.login("anna")

    page = client.get("/seminars/vybory")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Сессия 1" in html and "Сессия 2" in html
    # 07:00 UTC is 10:00 in Moscow, the seminar's zone (Anna has none of her own).
    assert ">10:00</time>–<time" in html
    before, after = html.split("Подготовиться заранее")[1].split("Выполнить после")
    assert "Первый модуль" in before and "12 мар. 2027" in before and "Не выполнено" in before
    assert "Третий урок" in after.split("</ul>")[0] and "22 мар. 2027" in after and "Пройден" in after


def test_times_follow_the_participants_own_time_zone(client, auth, programme, make_user):
    vlad = make_user("vlad", region="77")
    vlad.timezone = "Asia/Vladivostok"
    db.session.commit()
    auth.login("vlad")

    html = client.get("/seminars/vybory").get_data(as_text=True)

    # 07:00 UTC is 17:00 in Vladivostok.
    assert ">17:00</time>–<time" in html
    assert "Asia/Vladivostok" in html


def test_the_list_shows_only_invited_seminars(client, auth, programme, make_seminar, anna):
    make_seminar("elsewhere", regions=["78"], title="Чужой семинар")
    auth.login("anna")

    html = client.get("/seminars").get_data(as_text=True)

    assert "Семинар vybory" in html
    assert "Чужой семинар" not in html
    assert "/seminars/new" not in html


@pytest.mark.parametrize(
    "path", ["/seminars/vybory", "/seminars/vybory/calendar.ics", "/seminars/vybory/manage"]
)
def test_a_candidate_not_invited_gets_404(client, auth, programme, make_user, path):
    make_user("boris", region="78")
    auth.login("boris")

    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/seminars", "/seminars/vybory", "/seminars/vybory/calendar.ics"])
def test_anonymous_visitors_are_sent_to_sign_in(client, programme, path):
    response = client.get(path)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_calendar_download(client, auth, programme, anna):
    auth.login("anna")

    response = client.get("/seminars/vybory/calendar.ics")

    body = response.get_data()
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    assert 'filename="vybory.ics"' in response.headers["Content-Disposition"]
    assert body.count(b"BEGIN:VEVENT") == 2
    assert b"UID:vybory.s1@127.0.0.1\r\n" in body
    assert b"DTSTART:20270315T070000Z\r\n" in body
    assert "LOCATION:Москва\r\n".encode() in body
    assert b"URL:http://127.0.0.1:5000/seminars/vybory#session-s1\r\n" in body
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))


def test_participants_do_not_see_the_manage_pages(client, auth, programme, anna):
    auth.login("anna")

    assert client.get("/seminars/vybory/manage").status_code == 403
    assert client.get("/seminars/new").status_code == 403
    assert client.get("/seminars/vybory/sessions/s1/edit").status_code == 403


# --- readers ----------------------------------------------------------------------------------


def test_a_regional_coordinator_reads_their_regions_seminar_but_cannot_change_it(
    client, auth, programme, make_user
):
    make_user("moscow", role="coordinator", region="77")
    auth.login("moscow")

    page = client.get("/seminars/vybory")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Не выполнено" not in html  # no progress of their own to show
    assert "/seminars/vybory/manage" not in html
    token = csrf_from(html)
    assert client.get("/seminars/vybory/manage").status_code == 403
    assert client.get("/seminars/vybory/edit").status_code == 403
    refused = client.post("/seminars/vybory/sessions/s1/delete", data={"csrf_token": token})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeminarSession)) == 2


def test_a_regional_coordinator_of_another_region_gets_404(client, auth, programme, make_user):
    make_user("spb", role="coordinator", region="78")
    auth.login("spb")

    assert client.get("/seminars/vybory").status_code == 404
    assert client.get("/seminars/vybory/manage").status_code == 404


# --- managers ---------------------------------------------------------------------------------


@pytest.fixture
def manager(make_user, auth):
    make_user("national", role="coordinator", region=None)
    auth.login("national")


def post(client, page: str, path: str, data: dict, **kwargs):
    """POST with the CSRF token of `page`; the test's own session then reads afresh (it would see
    the snapshot of its last read otherwise)."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, **data}, **kwargs)
    db.session.rollback()
    return response


def test_a_national_coordinator_creates_a_seminar(client, manager, app):
    response = post(
        client,
        "/seminars/new",
        "/seminars/new",
        {
            "key": "zima-2027",
            "title": "Зимний семинар",
            "starts_on": "2027-01-20",
            "ends_on": "2027-01-22",
            "venue": "Казань",
            "timezone": "Europe/Moscow",
            "summary_md": "Про **зиму**",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/seminars/zima-2027/manage")
    seminar = db.session.scalar(sa.select(Seminar))
    assert (seminar.key, seminar.day_count, seminar.source_path) == ("zima-2027", 3, None)
    assert "<strong>зиму</strong>" in seminar.summary_html
    assert actions() == ["seminar.create"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"key": "Зима"}, "key", "Use lowercase latin letters"),
        ({"ends_on": "2027-01-19"}, "ends_on", "The end date is before the start date"),
        ({"title": ""}, "title", "Enter the title"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"starts_on": "вчера"}, "starts_on", "Enter a date"),
    ],
)
def test_seminar_form_errors_are_shown_on_their_fields(client, manager, change, field, message):
    data = {
        "key": "zima",
        "title": "Зима",
        "starts_on": "2027-01-20",
        "ends_on": "2027-01-22",
        "timezone": "Europe/Moscow",
    }
    post(client, "/seminars", "/language/en", {"next": "/seminars"})
    response = post(client, "/seminars/new", "/seminars/new", {**data, **change})

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error is not None and message in error.group(1), html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 0


def test_a_second_submit_of_the_same_seminar_makes_no_second_row(client, manager):
    data = {
        "key": "zima",
        "title": "Зима",
        "starts_on": "2027-01-20",
        "ends_on": "2027-01-22",
        "timezone": "Europe/Moscow",
    }
    token = csrf_from(client.get("/seminars/new").get_data(as_text=True))

    first = client.post("/seminars/new", data={"csrf_token": token, **data})
    second = client.post("/seminars/new", data={"csrf_token": token, **data})

    assert (first.status_code, second.status_code) == (302, 400)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 1


def test_a_post_without_csrf_is_refused(client, manager, programme):
    response = client.post("/seminars/vybory/sessions/s1/delete", data={})

    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeminarSession)) == 2


def test_a_manager_adds_a_session(client, manager, programme):
    response = post(
        client,
        "/seminars/vybory/sessions/new",
        "/seminars/vybory/sessions/new",
        {
            "key": "panel",
            "title": "Панельная дискуссия",
            "day": "2",
            "starts": "14:00",
            "ends": "15:30",
            "room": "Зал 2",
            "topics": "риски, финансы",
            "speakers": "Ирина Соколова — ректор\nПавел Орлов",
            "description_md": "Обсуждение *рисков*",
        },
    )

    assert response.status_code == 302
    session = db.session.scalar(sa.select(SeminarSession).where(SeminarSession.key == "panel"))
    # 14:00 in Moscow on the second day (16 March 2027) is 11:00 UTC.
    assert session.starts_at.isoformat() == "2027-03-16T11:00:00+00:00"
    assert (session.day, session.position, session.topics) == (2, 1, ["риски", "финансы"])
    assert session.speakers == [
        {"name": "Ирина Соколова", "role": "ректор"},
        {"name": "Павел Орлов", "role": ""},
    ]
    assert "<em>рисков</em>" in session.description_html
    assert actions()[-1] == "seminar.session_add"


def test_session_errors_stay_on_the_form(client, manager, programme):
    response = post(
        client,
        "/seminars/vybory/sessions/new",
        "/seminars/vybory/sessions/new",
        {"key": "s1", "title": "Повтор", "day": "1", "starts": "12:00", "ends": "11:00"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeminarSession)) == 2


def test_a_manager_edits_moves_and_deletes_sessions(client, manager, programme):
    page = "/seminars/vybory/sessions/s2/edit"
    edited = post(
        client,
        page,
        page,
        {"key": "s2", "title": "Новое название", "day": "1", "starts": "12:00", "ends": "13:00"},
    )
    assert edited.status_code == 302
    moved = post(client, "/seminars/vybory/manage", "/seminars/vybory/sessions/s2/move", {"direction": "up"})
    assert moved.status_code == 302
    db.session.expire_all()
    order = db.session.scalars(sa.select(SeminarSession.key).order_by(SeminarSession.position)).all()
    assert order == ["s2", "s1"]

    deleted = post(client, "/seminars/vybory/manage", "/seminars/vybory/sessions/s1/delete", {})

    assert deleted.status_code == 302
    assert db.session.scalars(sa.select(SeminarSession.key)).all() == ["s2"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionLink)) == 0
    assert actions()[-3:] == ["seminar.session_update", "seminar.session_move", "seminar.session_delete"]


def test_a_session_with_attendance_is_not_deleted(client, manager, programme):
    from lms.seminars import signals

    def attendance(_sender, session_ids):
        return set(session_ids)

    signals.sessions_in_use.connect(attendance)
    try:
        response = post(
            client,
            "/seminars/vybory/manage",
            "/seminars/vybory/sessions/s1/delete",
            {},
            follow_redirects=True,
        )
    finally:
        signals.sessions_in_use.disconnect(attendance)

    assert "На этой сессии уже отмечали посещаемость" in response.get_data(as_text=True)


def test_a_manager_invites_and_withdraws(client, manager, programme):
    added = post(client, "/seminars/vybory/manage", "/seminars/vybory/invites", {"target": "region:16"})
    again = post(client, "/seminars/vybory/manage", "/seminars/vybory/invites", {"target": "region:16"})
    bad = post(client, "/seminars/vybory/manage", "/seminars/vybory/invites", {"target": "region:999"})

    assert (added.status_code, again.status_code, bad.status_code) == (302, 302, 400)
    regions = db.session.scalars(sa.select(SeminarInvite.region_id).order_by(SeminarInvite.id)).all()
    assert regions == ["77", "16"]
    invite = db.session.scalar(sa.select(SeminarInvite).where(SeminarInvite.region_id == "16"))
    post(client, "/seminars/vybory/manage", f"/seminars/vybory/invites/{invite.id}/delete", {})
    assert db.session.scalars(sa.select(SeminarInvite.region_id)).all() == ["77"]
    assert actions()[-2:] == ["seminar.invite", "seminar.uninvite"]


def test_a_manager_links_an_item_and_removes_it(client, manager, programme):
    page = "/seminars/vybory/sessions/s2/edit"
    added = post(
        client,
        page,
        "/seminars/vybory/sessions/s2/links",
        {"target": "tiny-course:m-one:l-one", "relation": "prepare", "due_days": "-2"},
    )
    wrong = post(
        client,
        page,
        "/seminars/vybory/sessions/s2/links",
        {"target": "tiny-course:m-one:l-one", "relation": "prepare", "due_days": "5"},
    )

    assert (added.status_code, wrong.status_code) == (302, 400)
    link = db.session.scalar(sa.select(SessionLink).where(SessionLink.item_key == "l-one"))
    assert (link.relation, link.due_days, link.module_key) == ("prepare", -2, None)
    post(client, page, f"/seminars/vybory/links/{link.id}/delete", {})
    assert db.session.scalar(sa.select(SessionLink).where(SessionLink.item_key == "l-one")) is None


def test_a_link_of_another_seminar_is_not_found(client, manager, programme, make_seminar):
    other = make_seminar("other", regions=["78"])
    link = db.session.scalar(sa.select(SessionLink))

    response = post(client, "/seminars/other/manage", f"/seminars/{other.key}/links/{link.id}/delete", {})

    assert response.status_code == 404
    assert db.session.get(SessionLink, link.id) is not None


def test_every_management_page_renders(client, manager, programme):
    for path in (
        "/seminars",
        "/seminars/new",
        "/seminars/vybory/edit",
        "/seminars/vybory/manage",
        "/seminars/vybory/sessions/new",
        "/seminars/vybory/sessions/s1/edit",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert re.search(r"<h1>", response.get_data(as_text=True)), path


@pytest.mark.parametrize("url", ["javascript://example.org/%0aalert(1)", "ftp://example.org/file"])
def test_links_other_than_web_addresses_are_refused(client, manager, programme, url):
    response = post(
        client,
        "/seminars/vybory/sessions/new",
        "/seminars/vybory/sessions/new",
        {"key": "x", "title": "X", "day": "1", "starts": "12:00", "ends": "13:00", "online_url": url},
    )

    assert response.status_code == 400
    assert 'id="online_url-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(SeminarSession).where(SeminarSession.key == "x")) is None


def test_two_tabs_inviting_the_same_region_make_one_invitation(client, manager, programme):
    token = csrf_from(client.get("/seminars/vybory/manage").get_data(as_text=True))

    for _tab in range(2):
        response = client.post("/seminars/vybory/invites", data={"csrf_token": token, "target": "region:16"})
        assert response.status_code == 302
    db.session.rollback()

    assert db.session.scalars(sa.select(SeminarInvite.region_id).order_by(SeminarInvite.id)).all() == [
        "77",
        "16",
    ]


def test_an_instructor_teaching_a_linked_course_reads_the_programme(client, auth, programme, make_user):
    from lms.content.models import Course, CourseStaff

    teacher = make_user("teacher", role="instructor")
    make_user("idle", role="instructor")
    course = db.session.scalar(sa.select(sa.func.min(Course.id)))
    db.session.add(CourseStaff(course_id=course, user_id=teacher.id))
    db.session.commit()

    auth.login("teacher")
    assert client.get("/seminars/vybory").status_code == 200
    assert client.get("/seminars/vybory/manage").status_code == 403
    auth.logout()
    auth.login("idle")
    assert client.get("/seminars/vybory").status_code == 404


def test_a_module_is_done_when_all_its_live_items_are(client, auth, programme, anna):
    from lms.core.time import utcnow

    for key in ("l-one", "l-two"):  # the first module's two lessons
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.key == key))
        db.session.add(
            LessonProgress(user_id=anna.id, lesson_id=lesson.id, completed_at=utcnow(), completed_version=1)
        )
    db.session.commit()
    auth.login("anna")

    html = client.get("/seminars/vybory").get_data(as_text=True)

    before = html.split("Подготовиться заранее")[1].split("</ul>")[0]
    assert "Первый модуль" in before and "Пройден" in before and "Не выполнено" not in before


def test_the_session_page_lists_its_links_with_their_due_days(client, manager, programme):
    html = client.get("/seminars/vybory/sessions/s1/edit").get_data(as_text=True)

    assert "Первый модуль" in html and "за 3 дня до начала" in html
    assert "Третий урок" in html and "через 7 дней после окончания" in html

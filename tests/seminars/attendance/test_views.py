"""Attendance pages, each action and each right: who may take the list, see the QR code, check
in, read the table and download it; everyone else gets 403 (or 404 where the page is not theirs)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from lms.accounts.models import LoginSession
from lms.accounts.sessions import expires_at
from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db
from lms.seminars import attendance
from lms.seminars.attendance_models import Attendance
from lms.seminars.attendance_tokens import make_checkin_token, time_step
from tests.seminars.attendance.conftest import session

TAKE = "/seminars/vybory/sessions/s1/attendance"
QR = "/seminars/vybory/sessions/s1/qr"
REPORT = "/seminars/vybory/attendance"


def mark_url(user_id: int) -> str:
    return f"{TAKE}/{user_id}"


def marks() -> list[tuple[str, str, str]]:
    """The stored marks, read in a transaction of its own (not a snapshot from before the request)."""
    db.session.rollback()
    query = sa.select(Attendance).order_by(Attendance.id)
    return [(a.user.username, a.status, a.source) for a in db.session.scalars(query)]


def mark_form(user_id: int, status: str, note: str = "", client_id: str | None = None) -> dict:
    prefix = f"p{user_id}-"
    return {
        f"{prefix}status": status,
        f"{prefix}note": note,
        f"{prefix}client_id": client_id or str(uuid.uuid4()),
    }


def token_for(app, session_id: int, steps_ago: int = 0) -> str:
    step = time_step(utcnow(), app.config.get("ATTENDANCE_QR_STEP_SECONDS", 60)) - steps_ago
    return make_checkin_token(app.config["SECRET_KEY"], session_id, step)


# --- The list -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "listed"), [("igor", 3), ("olga", 3), ("root", 3), ("pavel", 2)])
def test_staff_who_may_take_attendance_get_the_list(auth, client, people, seminar, who, listed):
    auth.login(who)
    page = client.get(TAKE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="attendance-form"') == listed
    assert ("Вера Тверская" in html) == (listed == 3)  # region 69: not the regional coordinator's


@pytest.mark.parametrize(("who", "status"), [("anna", 403), ("stranger", 404), ("idle", 404)])
def test_others_may_not_take_attendance(auth, client, people, seminar, who, status):
    auth.login(who)
    assert client.get(TAKE).status_code == status
    assert auth.post(mark_url(people.anna.id), mark_form(people.anna.id, "present")).status_code == status
    assert marks() == []


def test_the_list_says_whose_it_is_and_until_when_a_copy_may_be_shown(app, auth, client, people, seminar):
    """For the service worker: it binds its offline copy to this user and this sign-in's end."""
    auth.login("igor")
    response = client.get(TAKE)
    assert response.headers["X-Attendance-Owner"] == str(people.igor.id)
    db.session.rollback()
    login_session = db.session.scalar(
        sa.select(LoginSession).where(
            LoginSession.user_id == people.igor.id, LoginSession.revoked_at.is_(None)
        )
    )
    until = expires_at(login_session).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response.headers["X-Attendance-Until"] == until
    app.config["SESSION_ABSOLUTE_TIMEOUT"] = timedelta(hours=1)  # now the absolute limit comes first
    later = client.get(TAKE).headers["X-Attendance-Until"]
    assert later == (login_session.created_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("who", ["anna", "stranger"])
def test_no_owner_on_what_is_not_a_list(auth, client, people, seminar, who):
    auth.login(who)
    response = client.get(TAKE)
    assert response.status_code in (403, 404)
    assert "X-Attendance-Owner" not in response.headers


def test_anonymous_visitors_are_sent_to_sign_in(client, people, seminar):
    response = client.get(TAKE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_form_mark_is_saved_once_and_audited(auth, client, people, seminar):
    auth.login("igor")
    form = mark_form(people.anna.id, "late", note="пробки")
    first = auth.post(mark_url(people.anna.id), form, page=TAKE)
    again = auth.post(mark_url(people.anna.id), form, page=TAKE)  # a double submit

    assert first.status_code == again.status_code == 302
    assert first.headers["Location"].endswith(f"{TAKE}#p-{people.anna.id}")
    assert marks() == [("anna", "late", "list")]
    assert db.session.scalar(sa.select(Attendance.note)) == "пробки"
    db.session.rollback()
    audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attendance.mark")).all()
    assert [(event.actor_id, event.target_label) for event in audited] == [(people.igor.id, "anna")]
    page = client.get(TAKE).get_data(as_text=True)
    late = re.search(rf'<input[^>]*id="p{people.anna.id}-status-1"[^>]*>', page).group(0)
    assert "checked" in late


def test_the_queue_sends_json_with_the_csrf_header_and_a_retry_counts_once(auth, client, people, seminar):
    auth.login("igor")
    token = auth.csrf(TAKE)
    key = str(uuid.uuid4())
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    answers = [
        client.post(
            mark_url(people.boris.id),
            data=mark_form(people.boris.id, "present", client_id=key),
            headers=headers,
        )
        for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [200, 200]
    assert [a.get_json()["replayed"] for a in answers] == [False, True]
    assert answers[0].get_json()["client_id"] == key
    assert marks() == [("boris", "present", "list")]


def test_a_mark_without_csrf_is_refused(auth, client, people, seminar):
    auth.login("igor")
    response = client.post(
        mark_url(people.anna.id),
        data=mark_form(people.anna.id, "present"),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert marks() == []


def test_a_bad_status_is_a_field_error_not_a_500(auth, client, people, seminar):
    auth.login("igor")
    page = auth.post(mark_url(people.anna.id), mark_form(people.anna.id, "here"), page=TAKE)
    assert page.status_code == 400
    assert 'class="field-error"' in page.get_data(as_text=True)

    token = auth.csrf(TAKE)
    answer = client.post(
        mark_url(people.anna.id),
        data=mark_form(people.anna.id, "here"),
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert answer.status_code == 400
    assert answer.get_json()["saved"] is False
    assert "status" in answer.get_json()["errors"]
    assert marks() == []


def test_a_regional_coordinator_cannot_mark_another_regions_participant(auth, people, seminar):
    auth.login("pavel")
    refused = auth.post(mark_url(people.vera.id), mark_form(people.vera.id, "present"), page=TAKE)
    allowed = auth.post(mark_url(people.anna.id), mark_form(people.anna.id, "present"), page=TAKE)
    assert (refused.status_code, allowed.status_code) == (404, 302)
    assert marks() == [("anna", "present", "list")]


def test_a_participant_not_invited_cannot_be_marked(auth, people, seminar):
    auth.login("root")
    response = auth.post(mark_url(people.stranger.id), mark_form(people.stranger.id, "present"), page=TAKE)
    assert response.status_code == 404
    assert marks() == []


# --- QR code and check-in -----------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("igor", 200), ("pavel", 200), ("anna", 403), ("idle", 404)])
def test_the_qr_page_is_for_staff(auth, client, people, seminar, who, status):
    auth.login(who)
    page = client.get(QR)
    assert page.status_code == status
    if status == 200:
        html = page.get_data(as_text=True)
        assert '<svg role="img"' in html
        assert "/seminars/vybory/sessions/s1/check-in/" in html


def test_the_qr_codes_url_checks_a_participant_in(app, auth, client, people, seminar):
    auth.login("igor")
    html = client.get(QR).get_data(as_text=True)
    token = re.search(r"/check-in/([A-Za-z0-9_.-]+)", html).group(1)
    auth.logout()
    auth.login("anna")
    url = f"/seminars/vybory/sessions/s1/check-in/{token}"

    page = client.get(url)
    assert page.status_code == 200
    assert ">Отметиться</button>" in page.get_data(as_text=True)
    assert marks() == []  # GET changes nothing

    response = auth.post(url, page=url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/seminars/vybory")
    assert marks() == [("anna", "late", "qr")]  # the session started 20 minutes ago: past the grace
    auth.post(url, page=url)
    assert marks() == [("anna", "late", "qr")]


@pytest.mark.parametrize(
    ("session_key", "token_session", "steps_ago", "status"),
    [
        ("s1", "s1", 2, 403),  # expired
        ("s1", "s2", 0, 404),  # another session's code
        ("s2", "s2", 0, 403),  # tomorrow's session: the window is not open
    ],
)
def test_a_refused_code_records_nothing(
    app, auth, client, people, seminar, session_key, token_session, steps_ago, status
):
    auth.login("anna")
    token = token_for(app, session(seminar, token_session).id, steps_ago)
    url = f"/seminars/vybory/sessions/{session_key}/check-in/{token}"
    assert client.get(url).status_code == status
    assert auth.post(url, page=TAKE).status_code == status
    assert marks() == []


def test_a_tampered_code_is_refused(app, auth, client, people, seminar):
    auth.login("anna")
    token = token_for(app, session(seminar, "s1").id)
    url = f"/seminars/vybory/sessions/s1/check-in/{token[:-2]}xx"
    assert client.get(url).status_code == 404
    assert marks() == []


@pytest.mark.parametrize("who", ["stranger", "idle"])
def test_a_bad_code_tells_nobody_outside_the_seminar_that_it_exists(app, auth, client, people, seminar, who):
    """A guessed address with a made-up or another session's code is the plain 404 page: no title,
    session or room of a seminar the user may not see (a valid code is in the room, on the screen)."""
    auth.login(who)
    for token in ("made-up", token_for(app, session(seminar, "s2").id)):
        page = client.get(f"/seminars/vybory/sessions/s1/check-in/{token}")
        html = page.get_data(as_text=True)
        assert page.status_code == 404
        assert "Семинар vybory" not in html and "Сессия 1" not in html


def test_a_candidate_not_invited_cannot_check_in(app, auth, client, people, seminar):
    auth.login("stranger")
    url = f"/seminars/vybory/sessions/s1/check-in/{token_for(app, session(seminar, 's1').id)}"
    page = client.get(url)
    assert page.status_code == 403
    assert 'role="alert"' in page.get_data(as_text=True)
    assert auth.post(url, page="/").status_code == 403
    assert marks() == []


# --- The table and its exports ------------------------------------------------------------------


@pytest.fixture
def marked(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    attendance.mark(session(seminar, "s1"), people.vera, "absent", note='=HYPERLINK("x")', by=people.igor)
    db.session.commit()


def test_a_national_coordinator_sees_every_region(auth, client, marked):
    auth.login("olga")
    html = client.get(REPORT).get_data(as_text=True)
    assert 'id="by-region"' in html
    assert "69 ·" in html and "77 ·" in html
    only_69 = client.get(REPORT + "?region=69").get_data(as_text=True)
    assert "69 ·" in only_69 and "77 · " not in only_69.split('id="by-region"')[1]


def test_a_regional_coordinator_sees_their_region_only(auth, client, marked):
    auth.login("pavel")
    html = client.get(REPORT).get_data(as_text=True)
    by_region = html.split('id="by-region"')[1].split('id="by-participant"')[0]
    assert "77 ·" in by_region and "69 ·" not in by_region
    by_participant = html.split('id="by-participant"')[1]
    assert "Анна Петрова" in by_participant and "Вера Тверская" not in by_participant
    assert client.get(REPORT + "?region=69").status_code == 404


def test_instructors_see_sessions_but_neither_regions_nor_exports(auth, client, marked):
    auth.login("igor")
    html = client.get(REPORT).get_data(as_text=True)
    assert 'id="by-session"' in html and 'id="by-region"' not in html
    assert client.get(REPORT.replace("attendance", "attendance.csv")).status_code == 403


@pytest.mark.parametrize(("who", "status"), [("anna", 403), ("stranger", 404)])
def test_candidates_see_no_table(auth, client, marked, who, status):
    auth.login(who)
    assert client.get(REPORT).status_code == status
    assert client.get("/seminars/vybory/attendance.csv").status_code == status


def read_csv(response, delimiter=",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=delimiter))


def test_the_csv_export_is_scoped_formula_safe_and_audited(auth, client, people, marked):
    auth.login("pavel")
    response = client.get("/seminars/vybory/attendance.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert [row[1] for row in rows[1:]] == ["anna", "anna", "boris", "boris"]
    assert rows[0][4] == "Занятие"
    assert rows[1][6] == "Присутствует"

    auth.logout()
    auth.login("olga")
    rows = read_csv(client.get("/seminars/vybory/attendance.csv?region=69"))
    assert [row[1] for row in rows[1:]] == ["vera", "vera"]
    assert rows[1][9] == '\'=HYPERLINK("x")'
    db.session.rollback()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.attendance")).all()
    assert [(e.details["region"], e.details["rows"], e.details["format"]) for e in events] == [
        ("77", 4, "csv"),
        ("69", 2, "csv"),
    ]


def test_the_excel_csv_and_xlsx_twins(auth, client, marked):
    auth.login("olga")
    excel = client.get("/seminars/vybory/attendance.csv?dialect=excel-ru")
    assert excel.headers["Content-Disposition"].endswith('attendance-vybory-excel-ru.csv"')
    rows = read_csv(excel, delimiter=";")
    assert len(rows) == 1 + 3 * 2
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", rows[1][5])

    xlsx = client.get("/seminars/vybory/attendance.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 7
    assert values[0][0] == "ФИО"
    assert client.get("/seminars/vybory/attendance.pdf").status_code == 404


def test_my_seminar_shows_the_participants_attendance_against_the_requirement(auth, client, people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "late", by=people.igor)
    seminar.attendance_required_percent = 80
    db.session.commit()
    auth.login("anna")
    html = client.get("/seminars/vybory").get_data(as_text=True)
    section = html.split('id="my-attendance"')[1].split("</section>")[0]
    assert "Посещено 1 из 2 занятий (50 %)." in section.replace("\xa0", " ")
    assert "attendance-not-met" in section

    auth.logout()
    auth.login("igor")
    staff = client.get("/seminars/vybory").get_data(as_text=True)
    assert 'id="my-attendance"' not in staff
    assert 'href="/seminars/vybory/attendance"' in staff


def test_the_service_worker_is_served_under_seminars_as_a_script(client):
    response = client.get("/seminars/attendance-sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"lms-attendance-v1" in response.get_data()
    response.close()


def test_the_qr_page_of_a_session_not_yet_open_says_so(auth, client, people, seminar):
    auth.login("igor")
    html = client.get("/seminars/vybory/sessions/s2/qr").get_data(as_text=True)
    assert "до этого код не принимается" in html
    assert "до этого код не принимается" not in client.get(QR).get_data(as_text=True)

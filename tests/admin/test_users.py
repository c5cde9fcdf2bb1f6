"""The user pages: list, search, filters, create, edit, deactivate, sessions, links, invitations."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import LoginSession, User
from lms.audit.models import AuditEvent
from lms.content.models import Course
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.progress import cohorts
from lms.progress import services as progress
from lms.progress.models import Cohort, CohortCourseStats, CohortMember, Enrolment, RegionCourseStats


def _user(username: str) -> User:
    _fresh()
    return db.session.scalar(sa.select(User).where(User.username == username))


def _fresh() -> None:
    """End the test's own read transaction, so it sees what requests committed since (SQLite WAL
    and PostgreSQL keep a transaction's snapshot)."""
    db.session.commit()
    db.session.expire_all()


def _listed(html: str) -> set[str]:
    """Usernames in the list's table (the second column)."""
    return set(
        re.findall(r'<th scope="row"><a href="/admin/users/\d+">[^<]*</a></th>\s*<td>([^<]+)</td>', html)
    )


# --- Who gets in ------------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("username", ["igor", "anna"])
def test_instructors_and_candidates_are_refused(people, signed_in, username):
    client, _auth = signed_in(username)
    for path in ("/admin/", "/admin/users", "/admin/users/new", "/admin/invitations"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("root", {"olga", "pavel", "igor", "anna", "boris", "tanya"}),
        ("olga", {"pavel", "anna", "boris", "tanya"}),
        ("pavel", {"anna"}),
        ("tanya", {"boris"}),
    ],
)
def test_each_manager_lists_exactly_whom_they_manage(people, signed_in, username, expected):
    client, _auth = signed_in(username)
    assert _listed(client.get("/admin/users").get_data(as_text=True)) == expected


def test_a_regional_coordinator_cannot_open_or_change_another_regions_candidate(people, signed_in):
    client, auth = signed_in("pavel")
    boris = people.boris.id
    assert client.get(f"/admin/users/{boris}").status_code == 404
    for action in ("deactivate", "reactivate", "invite", "link"):
        assert auth.post(f"/admin/users/{boris}/{action}", page="/admin/users").status_code == 404
    assert _user("boris").is_active_account


def test_a_manager_opening_their_own_account_goes_to_their_profile(people, signed_in):
    client, _auth = signed_in("root")
    response = client.get(f"/admin/users/{people.admin.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/account"


# --- The list -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=елкина", {"anna"}),  # ё typed as е finds Ёлкина
        ("q=Ёлкина", {"anna"}),
        ("q=BORIS@EXAMPLE", {"boris"}),
        ("q=tan", {"tanya"}),
        ("q=анна ёлк", {"anna"}),  # every word must match
        ("q=%25", set()),  # a literal %, not a wildcard
        ("q=_", set()),
        ("role=coordinator", {"olga", "pavel", "tanya"}),
        ("region=69", {"boris", "tanya"}),
        ("region=-", {"olga", "igor"}),
        ("role=candidate&region=77", {"anna"}),
    ],
)
def test_search_and_filters(people, signed_in, query, expected):
    client, _auth = signed_in("root")
    assert _listed(client.get(f"/admin/users?{query}").get_data(as_text=True)) == expected


def test_status_filters(people, signed_in, make_user):
    from lms.accounts.services import create_user, deactivate_user

    create_user("newbie", None, "candidate", region_code="77", full_name="Новичок", email="n@example.org")
    deactivate_user(_user("boris"))
    db.session.commit()
    client, _auth = signed_in("root")
    assert _listed(client.get("/admin/users?status=invited").get_data(as_text=True)) == {"newbie"}
    assert _listed(client.get("/admin/users?status=inactive").get_data(as_text=True)) == {"boris"}
    never = _listed(client.get("/admin/users?status=never").get_data(as_text=True))
    assert "newbie" in never and "olga" in never and "root" not in never


def test_cohort_filter(people, signed_in, imported):
    cohort = cohorts.create_cohort("Москва-1", region_code="77")
    cohorts.add_member(cohort, _user("anna"))
    db.session.commit()
    client, _auth = signed_in("root")
    assert _listed(client.get(f"/admin/users?cohort={cohort.id}").get_data(as_text=True)) == {"anna"}


def test_sorting_and_pages(people, signed_in, make_user):
    for number in range(55):
        make_user(f"bulk{number:02d}", region="50", full_name=f"Яковлев {number:02d}")
    client, _auth = signed_in("root")
    first = client.get("/admin/users?region=50&sort=username").get_data(as_text=True)
    second = client.get("/admin/users?region=50&sort=username&page=2").get_data(as_text=True)
    assert _listed(first) == {f"bulk{n:02d}" for n in range(50)}
    assert _listed(second) == {f"bulk{n:02d}" for n in range(50, 55)}
    assert "55" in first and "region=50" in first.split('aria-label="Страницы"')[1]
    descending = client.get("/admin/users?region=50&sort=username&desc=1").get_data(as_text=True)
    assert _listed(descending) == {f"bulk{n:02d}" for n in range(5, 55)}


def test_counts_stop_at_the_cap(people, signed_in, monkeypatch):
    from lms.admin import users as user_list

    monkeypatch.setattr(user_list, "COUNT_CAP", 3)
    client, _auth = signed_in("root")
    assert "Найдено больше 3 пользователей" in client.get("/admin/users").get_data(as_text=True)
    html = client.get("/admin/users?role=coordinator").get_data(as_text=True)
    assert "Найдено 3 пользователя." in html


def test_last_sign_in_order_puts_never_last(people, signed_in):
    from datetime import timedelta

    from lms.core.time import utcnow

    for offset, username in enumerate(["boris", "tanya"]):
        _user(username).last_seen_at = utcnow() - timedelta(days=offset + 1)
    _fresh()
    client, _auth = signed_in("olga")  # signs olga in now
    html = client.get("/admin/users?sort=last_seen&desc=1").get_data(as_text=True)
    order = re.findall(r'<th scope="row"><a href="/admin/users/\d+">[^<]*</a></th>\s*<td>([^<]+)</td>', html)
    assert order[:2] == ["boris", "tanya"] and set(order[2:]) == {"pavel", "anna"}


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=99999999999999999999",
        "cohort=٣",
        "sort=evil",
        "role=wizard",
        "status=x",
        "region=' OR 1=1 --",
        "q=" + "x" * 5000,
        "cohort=99999999999999999999999",
    ],
)
def test_hostile_parameters_are_ignored_not_500(people, signed_in, query):
    client, _auth = signed_in("root")
    assert client.get(f"/admin/users?{query}").status_code == 200


# --- Create, edit -------------------------------------------------------------------------------------


def _new_user_form(**fields):
    base = {
        "full_name": "Мария Новикова",
        "username": "novikova.m",
        "email": "maria@example.org",
        "role": "candidate",
        "region": "77",
        "invite": "y",
    }
    return {**base, **fields}


def test_creating_a_user_queues_an_invitation_that_sets_the_password(people, signed_in, app):
    _client, auth = signed_in("root")
    response = auth.post("/admin/users/new", _new_user_form(), page="/admin/users/new")
    assert response.status_code == 302
    maria = _user("novikova.m")
    assert maria.email == "maria@example.org" and not maria.has_password and maria.invited_at
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == maria.id))
    assert message.kind == "invitation" and message.to_address == "maria@example.org"
    link = re.search(r"http://\S+/password/set/\S+", message.body_text).group(0)
    assert link.startswith(app.config["PUBLIC_URL"])
    path = link.removeprefix(app.config["PUBLIC_URL"])
    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "novikova.m" in page.get_data(as_text=True)
    from tests.conftest import csrf_from

    data = {
        "password": "a-long-new-secret",
        "confirm": "a-long-new-secret",
        "csrf_token": csrf_from(page.get_data(as_text=True)),
    }
    assert visitor.post(path, data=data).status_code == 302
    assert _user("novikova.m").check_password("a-long-new-secret")
    assert visitor.get(path).status_code == 410  # used once, gone


def test_create_refuses_what_the_creator_may_not_give(people, signed_in):
    _client, auth = signed_in("pavel")
    response = auth.post("/admin/users/new", _new_user_form(region="69"), page="/admin/users/new")
    assert response.status_code == 400 and _user("novikova.m") is None
    response = auth.post(
        "/admin/users/new", _new_user_form(role="admin", region="77"), page="/admin/users/new"
    )
    assert response.status_code == 400 and _user("novikova.m") is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "x y"}, "латинских букв"),
        ({"username": "anna"}, "уже занято"),
        ({"email": "ANNA@example.org"}, "другая учётная запись"),
        ({"email": "not-an-address"}, "не адрес"),
        ({"email": "a..b@example.org"}, "не адрес"),
        ({"email": "new@example.org."}, "не адрес"),
        ({"email": "iv\u0430n@example.org"}, "смешаны похожие латинские и русские буквы"),
        ({"email": "\uff41\uff4e\uff4e\uff41@example.org"}, "другая учётная запись"),  # full-width "anna"
        ({"region": ""}, "нужен регион"),
        ({"full_name": ""}, "Введите полное имя"),
    ],
)
def test_create_shows_field_errors_never_a_500(people, signed_in, fields, message):
    _client, auth = signed_in("root")
    response = auth.post("/admin/users/new", _new_user_form(**fields), page="/admin/users/new")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html


def test_editing_a_candidates_region_moves_their_enrolments_and_counts(people, signed_in, imported):
    course = db.session.scalar(sa.select(Course))
    progress.enrol(_user("anna"), course)
    db.session.commit()
    _client, auth = signed_in("olga")
    anna = people.anna.id
    form = {
        "full_name": "Анна Ёлкина-Смирнова",
        "email": "anna@example.org",
        "role": "candidate",
        "region": "50",
    }
    assert auth.post(f"/admin/users/{anna}", form, page=f"/admin/users/{anna}").status_code == 302
    moved = _user("anna")
    assert moved.region_code == "50" and moved.full_name == "Анна Ёлкина-Смирнова"
    assert db.session.scalar(sa.select(Enrolment.region_code).where(Enrolment.user_id == anna)) == "50"
    counts = dict(db.session.execute(sa.select(RegionCourseStats.region_code, RegionCourseStats.total)).all())
    assert counts.get("50") == 1 and counts.get("77", 0) == 0
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.actor_name == "olga" and event.details["region_code"] == ["77", "50"]


def test_a_candidate_moved_to_another_region_leaves_that_regions_cohorts_only(people, signed_in, imported):
    course = db.session.scalar(sa.select(Course))
    moscow = cohorts.create_cohort("Москва-1", region_code="77")
    national = cohorts.create_cohort("Вся страна", region_code=None)
    old = cohorts.create_cohort("Москва-архив", region_code="77")
    for cohort in (moscow, national, old):
        cohorts.add_member(cohort, _user("anna"))
    cohorts.set_course(moscow, course, None)
    old.archived_at = utcnow()
    db.session.commit()
    _client, auth = signed_in("olga")
    anna = people.anna.id
    form = {"full_name": "Анна", "email": "anna@example.org", "role": "candidate", "region": "50"}
    assert auth.post(f"/admin/users/{anna}", form, page=f"/admin/users/{anna}").status_code == 302
    _fresh()
    names = db.session.scalars(
        sa.select(Cohort.name).join(CohortMember).where(CohortMember.user_id == anna).order_by(Cohort.name)
    ).all()
    assert names == ["Вся страна", "Москва-архив"]  # an archived cohort keeps its history
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == anna))
    assert (enrolment.region_code, enrolment.cohort_id) == ("50", None)  # progress kept, out of the cohort
    stats = db.session.scalar(
        sa.select(CohortCourseStats.total).where(CohortCourseStats.cohort_id == moscow.id)
    )
    assert stats == 0
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "cohort.member_remove"))
    assert event.details["username"] == "anna"


def test_a_regional_coordinator_cannot_move_a_candidate_out_of_their_region(people, signed_in):
    _client, auth = signed_in("pavel")
    anna = people.anna.id
    form = {"full_name": "Анна", "email": "", "role": "candidate", "region": "69"}
    assert auth.post(f"/admin/users/{anna}", form, page=f"/admin/users/{anna}").status_code == 400
    assert _user("anna").region_code == "77"


# --- Deactivation, sessions, links -------------------------------------------------------------------------


def test_deactivation_ends_open_sessions_at_once_and_keeps_history(people, signed_in):
    anna_client, _ = signed_in("anna")
    assert anna_client.get("/").status_code == 200
    _client, auth = signed_in("pavel")
    assert auth.post(f"/admin/users/{people.anna.id}/deactivate", page="/admin/users").status_code == 302
    assert anna_client.get("/").status_code == 302  # the open session no longer works
    anna = _user("anna")
    assert not anna.is_active_account and anna.deactivated_at is not None
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginSession)
            .where(LoginSession.user_id == anna.id, LoginSession.revoked_at.is_(None))
        )
        == 0
    )
    assert (
        db.session.scalar(sa.select(AuditEvent.actor_name).where(AuditEvent.action == "user.deactivate"))
        == "pavel"
    )
    # and she cannot sign in again until reactivated
    assert signed_in_fails(anna_client)
    assert auth.post(f"/admin/users/{people.anna.id}/reactivate", page="/admin/users").status_code == 302
    assert _user("anna").is_active_account


def signed_in_fails(client) -> bool:
    from tests.conftest import AuthActions

    return AuthActions(client).login("anna").status_code == 200  # the form again, with an error


def test_a_manager_sees_and_ends_one_session(people, signed_in):
    anna_phone, _ = signed_in("anna")
    anna_laptop, _ = signed_in("anna")
    client, auth = signed_in("root")
    html = client.get(f"/admin/users/{people.anna.id}").get_data(as_text=True)
    session_ids = re.findall(rf"/admin/users/{people.anna.id}/sessions/(\d+)/end", html)
    assert len(session_ids) == 2
    auth.post(f"/admin/users/{people.anna.id}/sessions/{session_ids[0]}/end", page="/admin/users")
    statuses = sorted([anna_phone.get("/").status_code, anna_laptop.get("/").status_code])
    assert statuses == [200, 302]


def test_ending_someone_elses_session_through_another_user_is_a_404(people, signed_in):
    signed_in("boris")
    _fresh()
    boris_session = db.session.scalar(
        sa.select(LoginSession.id).where(LoginSession.user_id == people.boris.id)
    )
    _client, auth = signed_in("root")
    response = auth.post(f"/admin/users/{people.anna.id}/sessions/{boris_session}/end", page="/admin/users")
    assert response.status_code == 404


def test_a_set_password_link_is_shown_once_and_works(people, signed_in, app):
    client, auth = signed_in("root")
    response = auth.post(f"/admin/users/{people.boris.id}/link", page="/admin/users")
    html = response.get_data(as_text=True)
    link = re.search(r'id="issued-link"[^>]*value="([^"]+)"', html).group(1)
    assert client.get(f"/admin/users/{people.boris.id}").get_data(as_text=True).count(link) == 0
    assert app.test_client().get(link.removeprefix(app.config["PUBLIC_URL"])).status_code == 200
    _fresh()
    assert db.session.scalar(
        sa.select(AuditEvent.details).where(AuditEvent.action == "password.link_issued")
    ) == {"purpose": "reset"}


def test_invite_button_mails_a_reset_link_to_someone_with_a_password(people, signed_in):
    _client, auth = signed_in("root")
    auth.post(f"/admin/users/{people.anna.id}/invite", page="/admin/users")
    _fresh()
    kinds = db.session.scalars(
        sa.select(OutboxMessage.kind).where(OutboxMessage.user_id == people.anna.id)
    ).all()
    assert kinds == ["password_reset"]


def test_invitations_page_lists_never_signed_in_and_sends_again(people, signed_in):
    from lms.accounts.services import create_user

    create_user("newbie", None, "candidate", region_code="77", full_name="Новичок", email="n@example.org")
    create_user("nomail", None, "candidate", region_code="77", full_name="Без почты")
    db.session.commit()
    client, auth = signed_in("pavel")
    html = client.get("/admin/invitations").get_data(as_text=True)
    assert "newbie" in html and "nomail" in html and "boris" not in html  # another region
    newbie = _user("newbie").id
    auth.post("/admin/invitations/send", {"user_id": str(newbie)}, page="/admin/invitations")
    _fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    auth.post("/admin/invitations/send", page="/admin/invitations")  # everybody listed with an email
    _fresh()
    by_user = db.session.execute(sa.select(OutboxMessage.user_id, OutboxMessage.kind)).all()
    # newbie twice (invitation); anna has never signed in either and has a password: a reset link
    assert sorted(by_user) == sorted(
        [(newbie, "invitation"), (newbie, "invitation"), (people.anna.id, "password_reset")]
    )


def test_send_again_for_a_user_outside_scope_sends_nothing(people, signed_in):
    _client, auth = signed_in("pavel")
    auth.post("/admin/invitations/send", {"user_id": str(people.boris.id)}, page="/admin/invitations")
    _fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

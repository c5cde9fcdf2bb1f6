"""In-app notifications: made once per event, texts in the reader's language, the header's counter,
the list page, and marking read by POST only."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from lms.accounts.models import User
from lms.content.models import Course
from lms.extensions import db
from lms.notifications import services
from lms.notifications.models import Notification
from lms.notifications.texts import notification_detail, notification_text
from lms.progress import cohorts
from tests.statements import Statements

LESSON = "/courses/tiny-course/lessons/l-one"
COUNTER_RE = re.compile(r'<span class="counter">(\d+)</span>')


def notifications_of(user_id: int) -> list[Notification]:
    db.session.rollback()  # see what requests committed
    query = sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    return list(db.session.scalars(query))


def unread_of(user_id: int) -> int:
    db.session.rollback()
    return db.session.get(User, user_id, populate_existing=True).unread_notifications


def counter(html: str) -> int | None:
    match = COUNTER_RE.search(html)
    return int(match.group(1)) if match else None


def give(user: User, count: int = 1) -> list[int]:
    """`count` certificate notifications ("Курс 1", "Курс 2", ...), committed; their ids."""
    for number in range(1, count + 1):
        services.notify_certificate_issued(user, course_title=f"Курс {number}", link="/courses/tiny-course")
    db.session.commit()
    return [n.id for n in notifications_of(user.id)]


# --- made once, texts at display time ----------------------------------------------------------


def test_notify_makes_one_notification_and_counts_it_unread(app, make_user):
    anna = make_user("anna")
    services.notify_certificate_issued(anna, course_title="Основы", link="/courses/tiny-course")
    db.session.commit()
    (notification,) = notifications_of(anna.id)
    assert (notification.kind, notification.params, notification.link) == (
        "certificate_issued",
        {"course": "Основы"},
        "/courses/tiny-course",
    )
    assert notification.read_at is None and unread_of(anna.id) == 1


def test_a_once_key_makes_the_second_call_a_no_op(app, make_user):
    anna = make_user("anna")
    due = date(2026, 12, 9)
    kwargs = dict(overdue=False, enrolment_id=7, course_title="Основы", due_on=due, link="/courses/x")
    assert services.notify_due(anna, today=date(2026, 12, 6), **kwargs) is True
    assert services.notify_due(anna, today=date(2026, 12, 7), **kwargs) is False
    db.session.commit()
    assert [n.kind for n in notifications_of(anna.id)] == ["due_soon"]
    assert unread_of(anna.id) == 1


def test_an_unknown_kind_is_a_programming_error(app, make_user):
    anna = make_user("anna")
    with pytest.raises(ValueError, match="unknown notification kind 'party'"):
        services.notify(anna, "party")


def test_the_text_follows_the_readers_language_not_the_senders(app, make_user):
    anna = make_user("anna")
    services.notify_submission_graded(
        anna,
        accepted=False,
        item_title="План встречи",
        course_title="Основы",
        comment="  Добавьте место.  ",
        link="/x",
    )
    services.notify_due(
        anna,
        overdue=False,
        enrolment_id=1,
        course_title="Основы",
        due_on=date(2026, 12, 9),
        today=date(2026, 12, 6),
        link="/x",
    )
    db.session.commit()
    returned, due = notifications_of(anna.id)
    with app.test_request_context(), force_locale("ru"):
        assert notification_text(returned) == "Ваша работа «План встречи» возвращена на доработку."
        assert notification_detail(returned) == "Добавьте место."
        assert notification_text(due) == "Курс «Основы» нужно завершить через 3 дня, 9 декабря 2026."
    with app.test_request_context(), force_locale("en"):
        assert notification_text(returned) == 'Your work "План встречи" was returned for rework.'
        assert notification_text(due) == 'The course "Основы" is due in 3 days, on 9 December 2026.'


@pytest.mark.parametrize(("days", "text"), [(1, "через 1 день"), (5, "через 5 дней"), (22, "через 22 дня")])
def test_russian_plural_forms_of_days(app, make_user, days, text):
    anna = make_user("anna")
    today = date(2026, 12, 1)
    services.notify_due(
        anna,
        overdue=False,
        enrolment_id=1,
        course_title="Основы",
        due_on=today + timedelta(days=days),
        today=today,
        link="/x",
    )
    db.session.commit()
    (due,) = notifications_of(anna.id)
    with app.test_request_context(), force_locale("ru"):
        assert text in notification_text(due)


# --- new course assigned --------------------------------------------------------------------------


def test_joining_a_cohort_notifies_each_new_course_once(app, imported, make_user):
    anna = make_user("anna")
    course = db.session.scalar(sa.select(Course))
    cohort = cohorts.create_cohort("Москва-весна", region_code="77", campaign="")
    cohorts.set_course(cohort, course, date(2027, 3, 1))
    cohorts.add_member(cohort, anna)
    db.session.commit()
    cohorts.set_course(cohort, course, date(2027, 4, 1))  # a new due date: no new course
    db.session.commit()
    (notification,) = notifications_of(anna.id)
    assert notification.kind == "course_assigned"
    assert notification.params == {"course": "Крошечный курс", "due_on": "2027-03-01"}
    assert notification.link == "/courses/tiny-course"


def test_adding_a_course_to_a_cohort_notifies_its_members(app, imported, make_user):
    anna = make_user("anna")
    boris = make_user("boris")
    course = db.session.scalar(sa.select(Course))
    cohort = cohorts.create_cohort("Москва-весна", region_code="77", campaign="")
    cohorts.add_members(cohort, [anna, boris])
    db.session.commit()
    assert notifications_of(anna.id) == []
    cohorts.set_course(cohort, course, None)
    db.session.commit()
    assert [n.kind for n in notifications_of(anna.id)] == ["course_assigned"]
    assert [n.kind for n in notifications_of(boris.id)] == ["course_assigned"]


def test_bulk_enrolment_from_csv_notifies_through_the_cohort(app, runner, imported, make_user, tmp_path):
    anna = make_user("anna")
    cohorts.create_cohort("Москва-весна", region_code="77", campaign="")
    db.session.commit()
    rows = tmp_path / "enrol.csv"
    rows.write_text(
        "username,cohort,course,due_on\nanna,Москва-весна,tiny-course,2027-03-01\n", encoding="utf-8"
    )
    result = runner.invoke(args=["lms", "enroll", str(rows)])
    assert result.exit_code == 0, result.output
    (notification,) = notifications_of(anna.id)
    assert (notification.kind, notification.params) == (
        "course_assigned",
        {"course": "Крошечный курс", "due_on": "2027-03-01"},
    )


def test_starting_a_course_oneself_is_no_notification(client, auth, imported, make_user):
    anna = make_user("anna")
    auth.login("anna")
    response = auth.post("/courses/tiny-course/start", page="/courses/tiny-course")
    assert response.status_code == 302
    assert notifications_of(anna.id) == []


# --- the counter and the page ---------------------------------------------------------------------


def test_the_header_counts_unread_notifications(client, auth, imported, make_user):
    anna = make_user("anna")
    auth.login("anna")
    assert counter(client.get("/").get_data(as_text=True)) is None
    give(anna, 2)
    html = client.get("/").get_data(as_text=True)
    assert counter(html) == 2
    assert "(2 непрочитанных)" in html


def test_the_lesson_page_shows_the_counter_without_a_statement_more(client, auth, imported, make_user):
    anna = make_user("anna")
    auth.login("anna")
    client.get(LESSON)
    client.get("/courses/tiny-course/lessons/l-three")
    give(anna, 3)
    with Statements() as statements:  # as test_lesson_page's repeat visit: one SELECT, one UPDATE
        response = client.get(LESSON)
    assert counter(response.get_data(as_text=True)) == 3
    assert statements.verbs == ["SELECT", "UPDATE"], statements.sql


def test_the_list_shows_newest_first_with_links_and_pages(client, auth, app, make_user):
    anna = make_user("anna")
    give(anna, services.PER_PAGE + 2)
    auth.login("anna")
    html = client.get("/notifications/").get_data(as_text=True)
    assert html.index("Курс 22") < html.index("Курс 21") < html.index("Курс 3")
    assert "«Курс 2»" not in html and "«Курс 1»" not in html  # on page two
    assert html.count('class="notification unread"') == services.PER_PAGE
    assert 'href="/notifications/?page=2"' in html
    page_two = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "Ваш сертификат по курсу «Курс 1» готов." in page_two
    assert client.get("/notifications/?page=3").status_code == 404


def test_marking_read_is_a_post_and_get_changes_nothing(client, auth, app, make_user):
    anna = make_user("anna")
    first, second = give(anna, 2)
    auth.login("anna")
    assert client.get(f"/notifications/{first}/read").status_code == 405
    assert client.get("/notifications/read-all").status_code == 405
    assert client.get(f"/notifications/{first}/open").status_code == 405
    assert unread_of(anna.id) == 2
    assert client.post(f"/notifications/{first}/read").status_code == 400  # no CSRF token
    assert unread_of(anna.id) == 2

    response = auth.post(f"/notifications/{first}/read", page="/notifications/")
    assert response.status_code == 302
    assert unread_of(anna.id) == 1
    read = {n.id: n.read_at is not None for n in notifications_of(anna.id)}
    assert read == {first: True, second: False}
    assert counter(client.get("/notifications/").get_data(as_text=True)) == 1


def test_mark_all_read(client, auth, app, make_user):
    anna = make_user("anna")
    give(anna, 3)
    auth.login("anna")
    response = auth.post("/notifications/read-all", page="/notifications/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "3 уведомления отмечены как прочитанные." in html
    assert counter(html) is None and unread_of(anna.id) == 0
    assert all(n.read_at is not None for n in notifications_of(anna.id))


def test_opening_marks_read_and_goes_to_the_object(client, auth, app, make_user):
    anna = make_user("anna")
    (first,) = give(anna, 1)
    auth.login("anna")
    response = auth.post(f"/notifications/{first}/open", page="/notifications/")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/tiny-course"
    assert unread_of(anna.id) == 0


def test_another_users_notification_is_not_there(client, auth, app, make_user):
    anna = make_user("anna")
    make_user("boris")
    (first,) = give(anna, 1)
    auth.login("boris")
    assert auth.post(f"/notifications/{first}/read", page="/notifications/").status_code == 404
    assert auth.post(f"/notifications/{first}/open", page="/notifications/").status_code == 404
    assert "«Курс 1»" not in client.get("/notifications/").get_data(as_text=True)
    assert unread_of(anna.id) == 1


def test_the_page_needs_a_sign_in(client, app):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_email_can_be_turned_off_in_the_profile(client, auth, app, make_user):
    anna = make_user("anna", email="anna@example.org")
    assert anna.email_notifications is True
    auth.login("anna")
    data = {"full_name": "Анна", "email": "anna@example.org", "locale": "ru", "timezone": "Europe/Moscow"}
    assert auth.post("/account", data, page="/account").status_code == 302
    db.session.rollback()
    assert db.session.get(User, anna.id).email_notifications is False

"""Reminders from the at-risk lists: scope checked on the server, an hourly limit per coordinator,
an audit event, an in-app notification and a mail, and the candidate's drill-down lists them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.notifications.models import Notification, Reminder
from lms.progress.models import Enrolment

AT_RISK = "/dashboard/at-risk"
TEXT = "Анна, вернитесь к курсу: осталось два урока."


def remind(auth, ids: list[int], text: str = TEXT, query: str = ""):
    data = {"candidate": [str(i) for i in ids], "text": text}
    return auth.post(AT_RISK + "/remind" + query, data, page=AT_RISK)


def rows(model) -> list:
    db.session.rollback()
    return list(db.session.scalars(sa.select(model).order_by(model.id)))


def reminder_notifications() -> list[Notification]:
    """Notifications of kind "reminder" (the world's cohort members also got "course_assigned")."""
    return [n for n in rows(Notification) if n.kind == "reminder"]


def not_started_a_week_ago(user_id: int) -> None:
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.user_id == user_id)
        .values(enrolled_at=utcnow() - timedelta(days=9))
    )
    db.session.commit()


def test_the_at_risk_page_offers_boxes_and_a_prefilled_text(client, auth, world, make_user):
    not_started_a_week_ago(world.moscow[2])
    make_user("coord", role="coordinator", region="77")
    auth.login("coord")
    html = client.get(AT_RISK).get_data(as_text=True)
    assert f'name="candidate" value="{world.moscow[2]}" form="remind"' in html
    assert 'class="select-all"' in html
    assert "Здравствуйте! Ваш курс в Высшей партийной школе ждёт вас." in html  # the coordinator's language
    assert "В этот час можно отправить ещё 100 напоминаний." in html


def test_a_reminder_reaches_the_candidate_in_app_by_mail_and_in_the_audit_log(client, auth, world, make_user):
    candidate_id = world.moscow[1]
    db.session.get(User, candidate_id).email = "msk1@example.org"
    db.session.commit()
    coordinator = make_user("coord", role="coordinator", region="77", full_name="Ольга Координатор")
    auth.login("coord")
    response = remind(auth, [candidate_id], query="?inactive=10")
    assert response.status_code == 302 and response.headers["Location"] == AT_RISK + "?inactive=10"

    (reminder,) = rows(Reminder)
    assert (reminder.user_id, reminder.sender_id, reminder.sender_name, reminder.text) == (
        candidate_id,
        coordinator.id,
        "Ольга Координатор",
        TEXT,
    )
    (notification,) = reminder_notifications()
    assert notification.user_id == candidate_id and notification.kind == "reminder"
    assert notification.params == {"sender": "Ольга Координатор", "text": TEXT}
    assert notification.digested_at is not None  # mailed now: the daily digest leaves it out
    (mail,) = rows(OutboxMessage)
    assert (mail.kind, mail.to_address) == ("reminder", "msk1@example.org")
    assert mail.subject == "Напоминание из Высшей партийной школы"
    assert "Ольга Координатор пишет вам:" in mail.body_text and TEXT in mail.body_text
    (event,) = [e for e in rows(AuditEvent) if e.action == "reminder.send"]
    assert (event.actor_id, event.target_type, event.target_id) == (coordinator.id, "user", str(candidate_id))
    assert event.details == {"text": TEXT}

    html = client.get(f"/dashboard/candidates/{candidate_id}").get_data(as_text=True)
    section = html.split("Отправленные напоминания", 1)[1].split("<h2>", 1)[0]
    assert "Ольга Координатор" in section and TEXT in section


def test_email_opt_out_keeps_the_in_app_reminder_only(client, auth, world, make_user):
    candidate = db.session.get(User, world.moscow[1])
    candidate.email, candidate.email_notifications = "msk1@example.org", False
    db.session.commit()
    make_user("coord", role="coordinator", region="77")
    auth.login("coord")
    assert remind(auth, [candidate.id]).status_code == 302
    assert [n.user_id for n in reminder_notifications()] == [candidate.id]
    assert rows(OutboxMessage) == []


def test_a_candidate_of_another_region_is_refused_and_nobody_is_reminded(client, auth, world, make_user):
    make_user("coord", role="coordinator", region="77")
    auth.login("coord")
    response = remind(auth, [world.moscow[1], world.tver[0]])
    assert response.status_code == 403
    assert rows(Reminder) == [] and reminder_notifications() == [] and rows(OutboxMessage) == []
    assert remind(auth, [world.moscow[1], 10**9]).status_code == 403  # nobody with that id
    staff = make_user("igor", role="instructor")
    assert remind(auth, [staff.id]).status_code == 403  # not a candidate
    assert rows(Reminder) == []


def test_a_national_coordinator_reminds_any_region(client, auth, world, make_user):
    make_user("natcoord", role="coordinator", region=None)
    auth.login("natcoord")
    assert remind(auth, [world.moscow[1], world.tver[0]]).status_code == 302
    assert sorted(r.user_id for r in rows(Reminder)) == sorted([world.moscow[1], world.tver[0]])


def test_candidates_and_instructors_may_not_send(client, auth, world, make_user):
    make_user("igor", role="instructor")
    auth.login("igor")
    assert remind(auth, [world.moscow[1]]).status_code == 403
    auth.logout()
    auth.login("msk0")
    assert remind(auth, [world.moscow[1]]).status_code == 403
    assert rows(Reminder) == []


def test_the_hourly_limit_per_coordinator(client, auth, app, world, make_user):
    app.config["REMINDERS_PER_HOUR"] = 2
    make_user("coord", role="coordinator", region="77")
    make_user("coord2", role="coordinator", region="77")
    auth.login("coord")
    assert remind(auth, world.moscow[:2]).status_code == 302
    response = remind(auth, [world.moscow[2]], text="Второе напоминание")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "В этот час можно отправить ещё напоминаний: 0; выбрано кандидатов: 1." in html
    assert "Второе напоминание</textarea>" in html  # the edited text is kept
    assert len(rows(Reminder)) == 2
    auth.logout()
    auth.login("coord2")  # the limit is each coordinator's own
    assert remind(auth, [world.moscow[2]]).status_code == 302
    # An hour later the first coordinator may send again.
    db.session.rollback()
    db.session.execute(sa.update(Reminder).values(created_at=utcnow() - timedelta(hours=1, seconds=1)))
    db.session.commit()
    auth.logout()
    auth.login("coord")
    assert remind(auth, [world.moscow[2]]).status_code == 302
    assert len(rows(Reminder)) == 4


def test_an_empty_text_or_no_candidate_is_refused(client, auth, world, make_user):
    make_user("coord", role="coordinator", region="77")
    auth.login("coord")
    response = remind(auth, [world.moscow[1]], text="   ")
    assert response.status_code == 400 and "Напишите текст напоминания." in response.get_data(as_text=True)
    response = remind(auth, [])
    assert response.status_code == 400 and "Выберите хотя бы одного кандидата." in response.get_data(
        as_text=True
    )
    assert rows(Reminder) == []


def test_the_candidate_sees_the_reminder_in_the_header_and_the_list(client, auth, world, make_user):
    make_user("coord", role="coordinator", region="77", full_name="Ольга Координатор")
    auth.login("coord")
    remind(auth, [world.moscow[1]])
    auth.logout()
    auth.login("msk1")
    html = client.get("/notifications/").get_data(as_text=True)
    assert '<span class="counter">2</span>' in html  # the reminder and the cohort's course
    assert "Напоминание от: Ольга Координатор." in html and TEXT in html

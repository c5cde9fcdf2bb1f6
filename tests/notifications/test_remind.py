"""`flask lms remind`: due-date notifications, one digest a day through the outbox (delivered to
the local SMTP test server), the email opt-out, and coordinators' weekly summaries."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Course
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.notifications import services
from lms.notifications.models import Notification, NotificationDigest
from lms.progress import cohorts
from lms.progress import services as progress
from lms.progress.models import Enrolment

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 10)  # a Thursday: no weekly summaries unless asked


def run(runner, *args: str) -> str:
    result = runner.invoke(args=["lms", *args])
    assert result.exit_code == 0, result.output
    return result.output


def remind(runner, day: date = TODAY, *args: str) -> str:
    return run(runner, "remind", "--today", day.isoformat(), *args)


def outbox(kind: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)))


def kinds_of(user_id: int) -> list[str]:
    db.session.rollback()
    query = sa.select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
    return list(db.session.scalars(query))


def candidate_due_on(make_user, due_on: date, locale: str | None = None) -> User:
    """A candidate with an address, in a Moscow cohort whose course is due on `due_on`."""
    user = make_user("anna", full_name="Анна Петрова", email="anna@example.org")
    user.locale = locale
    course = db.session.scalar(sa.select(Course))
    cohort = cohorts.create_cohort("Москва-весна", region_code="77", campaign="")
    cohorts.set_course(cohort, course, due_on)
    cohorts.add_member(cohort, user)
    db.session.commit()
    return user


def test_running_twice_delivers_one_digest(runner, smtp, imported, make_user):
    anna = candidate_due_on(make_user, TODAY + timedelta(days=2))
    first = remind(runner)
    assert "Уведомлений о сроках: 1; сводок в очереди: 1, пропущено: 0; недельных отчётов: 0." in first
    second = remind(runner)
    assert "Уведомлений о сроках: 0; сводок в очереди: 0, пропущено: 0; недельных отчётов: 0." in second
    run(runner, "send-mail")
    assert len(smtp.envelopes) == 1 and smtp.envelopes[0].rcpt_tos == ["anna@example.org"]
    (mail,) = smtp.messages()
    assert str(mail["Subject"]) == "2 новых уведомления в Высшей партийной школе"
    text = mail.get_body(("plain",)).get_content()
    assert "- Вам назначен новый курс: «Крошечный курс», срок — 12 декабря 2026." in text
    assert "- Курс «Крошечный курс» нужно завершить через 2 дня, 12 декабря 2026." in text
    assert "http://127.0.0.1:5000/courses/tiny-course" in text
    assert kinds_of(anna.id) == ["course_assigned", "due_soon"]
    db.session.rollback()
    (record,) = db.session.scalars(sa.select(NotificationDigest)).all()
    assert (record.user_id, record.day, record.kind, record.items) == (anna.id, TODAY, "digest", 2)


def test_later_notifications_wait_for_the_next_day(runner, smtp, imported, make_user):
    anna = candidate_due_on(make_user, TODAY + timedelta(days=30))
    remind(runner)
    services.notify_certificate_issued(anna, course_title="Крошечный курс", link="/courses/tiny-course")
    db.session.commit()
    assert "сводок в очереди: 0, пропущено: 1" in remind(runner)  # today's digest went already
    assert "сводок в очереди: 1, пропущено: 0" in remind(runner, TODAY + timedelta(days=1))
    run(runner, "send-mail")
    subjects = [str(m["Subject"]) for m in smtp.messages()]
    assert subjects == [
        "1 новое уведомление в Высшей партийной школе",
        "1 новое уведомление в Высшей партийной школе",
    ]
    assert (
        "Ваш сертификат по курсу «Крошечный курс» готов."
        in smtp.messages()[1].get_body(("plain",)).get_content()
    )


def test_a_day_is_claimed_once_even_by_two_runs(app, make_user):
    """What two `remind` processes at once rely on: the (user, kind, day) row is inserted once."""
    anna = make_user("anna")
    assert services.claim_day(anna, "digest", TODAY, 1) is True
    assert services.claim_day(anna, "digest", TODAY, 1) is False
    assert services.claim_day(anna, "weekly", TODAY, 1) is True
    assert services.claim_day(anna, "digest", TODAY + timedelta(days=1), 1) is True


def test_email_opt_out_sends_nothing_but_keeps_the_in_app_notifications(runner, smtp, imported, make_user):
    anna = candidate_due_on(make_user, TODAY + timedelta(days=1))
    anna = db.session.get(User, anna.id)
    anna.email_notifications = False
    db.session.commit()
    assert "сводок в очереди: 0, пропущено: 1" in remind(runner)
    run(runner, "send-mail")
    assert smtp.envelopes == [] and outbox("digest") == []
    assert kinds_of(anna.id) == ["course_assigned", "due_soon"]
    db.session.rollback()
    assert db.session.get(User, anna.id).unread_notifications == 2
    # Turned on again: what was settled meanwhile is not mailed after all.
    db.session.get(User, anna.id).email_notifications = True
    db.session.commit()
    assert "сводок в очереди: 0, пропущено: 0" in remind(runner, TODAY + timedelta(days=1))


def test_overdue_is_told_once_and_completed_courses_not_at_all(runner, imported, make_user):
    anna = candidate_due_on(make_user, TODAY - timedelta(days=1))
    boris = make_user("boris", email="boris@example.org")
    course = db.session.scalar(sa.select(Course))
    enrolment = progress.enrol(boris, course, due_on=TODAY + timedelta(days=1))
    enrolment.completed_at = utcnow()
    db.session.commit()
    remind(runner)
    remind(runner, TODAY + timedelta(days=1))
    assert kinds_of(anna.id) == ["course_assigned", "overdue"]
    assert kinds_of(boris.id) == []


def test_a_new_due_date_warns_again(runner, imported, make_user):
    anna = candidate_due_on(make_user, TODAY + timedelta(days=3))
    remind(runner)
    db.session.rollback()
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == anna.id))
    cohorts.override_due(enrolment, TODAY + timedelta(days=2))
    db.session.commit()
    remind(runner)
    assert kinds_of(anna.id) == ["course_assigned", "due_soon", "due_soon"]


def test_the_digest_is_in_the_candidates_language(runner, smtp, imported, make_user):
    candidate_due_on(make_user, TODAY + timedelta(days=1), locale="en")
    remind(runner)
    run(runner, "send-mail")
    (mail,) = smtp.messages()
    assert str(mail["Subject"]) == "2 new notifications at the Higher Party School"
    text = mail.get_body(("plain",)).get_content()
    assert "Hello, Анна Петрова!" in text
    assert '- The course "Крошечный курс" is due in 1 day, on 11 December 2026.' in text


# --- weekly summaries -----------------------------------------------------------------------------


def test_a_regional_coordinator_hears_of_their_region_only(runner, imported, make_user):
    course = db.session.scalar(sa.select(Course))
    week_ago = utcnow() - timedelta(days=9)
    for username, region, name in (("msk", "77", "Иван Москвин"), ("tver", "69", "Пётр Тверской")):
        user = make_user(username, region=region, full_name=name)
        progress.enrol(user, course).enrolled_at = week_ago  # not started a week after enrolment
    make_user("coord", role="coordinator", region="77", full_name="Ольга", email="olga@example.org")
    make_user("natcoord", role="coordinator", region=None, full_name="Нина", email="nina@example.org")
    make_user("quiet", role="coordinator", region="77", email="quiet@example.org").email_notifications = False
    db.session.commit()
    monday = date(2026, 12, 7)
    output = remind(runner, monday)
    assert "недельных отчётов: 2." in output
    assert "недельных отчётов: 0." in remind(runner, monday + timedelta(days=2), "--weekly")  # same week
    mails = {m.to_address: m for m in outbox("weekly_summary")}
    assert set(mails) == {"olga@example.org", "nina@example.org"}
    regional = mails["olga@example.org"]
    assert regional.subject == "Недельный отчёт: г. Москва"
    assert "Записей на курсы: 1; завершено: 0 (0\xa0%); отстают: 0; просрочено: 0." in regional.body_text
    assert "Новых кандидатов в группе риска за неделю: 1." in regional.body_text
    assert "- Иван Москвин (77), Крошечный курс" in regional.body_text
    assert "Тверской" not in regional.body_text and "Тверской" not in regional.body_html
    national = mails["nina@example.org"]
    assert national.subject == "Недельный отчёт: все регионы"
    assert "Записей на курсы: 2;" in national.body_text
    assert "Иван Москвин" in national.body_text and "Пётр Тверской" in national.body_text


def test_weekly_summaries_go_on_the_set_weekday_or_when_asked(runner, app, imported, make_user):
    make_user("coord", role="coordinator", region="77", email="olga@example.org")
    assert "недельных отчётов: 0." in remind(runner, TODAY)
    assert "недельных отчётов: 1." in remind(runner, TODAY, "--weekly")
    app.config["WEEKLY_SUMMARY_WEEKDAY"] = 4  # Friday
    assert "недельных отчётов: 0." in remind(runner, TODAY + timedelta(days=1))  # same week: sent already
    assert "недельных отчётов: 1." in remind(runner, TODAY + timedelta(days=8))  # next Friday


# --- two runs at once -----------------------------------------------------------------------------


@contextlib.contextmanager
def holding_the_write_lock(database_url: str) -> Iterator[None]:
    """On SQLite, another connection holds the write lock meanwhile; on PostgreSQL, nothing."""
    url = sa.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        yield
        return
    connection = sqlite3.connect(url.database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_two_runs_at_once_queue_one_digest(runner, smtp, imported, make_user, database_url):
    """Two `flask lms remind` processes started together: one digest queued and delivered."""
    anna = candidate_due_on(make_user, TODAY + timedelta(days=2))
    db.session.commit()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "FLASK_", "TEST_DATABASE")) and key != "DATABASE_URL"
    }
    env.update(FLASK_APP="app.py", DATABASE_URL=database_url, SECRET_KEY="remind-test-secret")
    command = [sys.executable, "-m", "flask", "lms", "remind", "--today", TODAY.isoformat()]
    with holding_the_write_lock(database_url):
        # Both start while another writer holds SQLite's lock, so that they run into each other.
        runs = [
            subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        time.sleep(3)  # time for both to start and read; the outcome must not depend on it
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    queued = sorted(re.search(r"сводок в очереди: (\d+)", output).group(1) for output in outputs)
    assert queued == ["0", "1"], outputs
    assert [m.to_address for m in outbox("digest")] == ["anna@example.org"]
    run(runner, "send-mail")
    assert len(smtp.envelopes) == 1
    assert kinds_of(anna.id) == ["course_assigned", "due_soon"]

"""`flask users create` and `flask lms demo`."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.extensions import db


def test_users_create(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Maria",
            "--role",
            "coordinator",
            "--region",
            "50",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "maria"))
    assert user.region_code == "50" and user.check_password("long-enough-pw")


def test_users_create_prompts_for_password(runner):
    result = runner.invoke(
        args=["users", "create", "ivan", "--role", "admin"], input="secret-pass-1\nsecret-pass-1\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User).where(User.username == "ivan")).check_password("secret-pass-1")


def test_users_create_rejects_bad_input(runner):
    result = runner.invoke(args=["users", "create", "x y", "--role", "admin", "--password", "long-enough-pw"])
    assert result.exit_code != 0 and "Имя пользователя: 2–80" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "petr",
            "--role",
            "candidate",
            "--region",
            "999",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code != 0 and "региона 999" in result.output


def test_demo_creates_accounts_once(runner):
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0, first.output
    roles = {user.role.value for user in db.session.scalars(sa.select(User))}
    assert roles == {"candidate", "instructor", "coordinator", "admin"}
    emails = set(db.session.scalars(sa.select(User.email)))
    assert {"admin@example.org", "candidate@example.org"} <= emails  # a reset link lands in the outbox
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    second = runner.invoke(args=["lms", "demo"])
    assert second.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count
    assert "already exist" in second.output
    # the printed password works
    line = next(
        line
        for line in first.output.splitlines()
        if " candidate " in f" {line} " and "candidate" in line.split()
    )
    password = line.split()[-1]
    assert db.session.scalar(sa.select(User).where(User.username == "candidate")).check_password(password)


def test_users_set_region_moves_a_candidate_and_their_counts(runner, imported, make_user):
    from lms.content.models import Course
    from lms.progress import services as progress
    from lms.progress.models import Enrolment, RegionCourseStats

    user = make_user("mover", region="77")
    course = db.session.scalar(sa.select(Course))
    progress.enrol(user, course)
    db.session.commit()

    result = runner.invoke(args=["users", "set-region", "mover", "69"])
    assert result.exit_code == 0, result.output
    assert "77 → 69" in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(User.region_code).where(User.username == "mover")) == "69"
    assert db.session.scalar(sa.select(Enrolment.region_code).where(Enrolment.user_id == user.id)) == "69"
    counts = dict(
        db.session.execute(
            sa.select(RegionCourseStats.region_code, RegionCourseStats.total).where(
                RegionCourseStats.course_id == course.id
            )
        ).all()
    )
    assert counts.get("69") == 1 and counts.get("77", 0) == 0
    # Recorded as the browser's edit is: who moved whom, from where to where.
    from lms.audit.models import AuditEvent

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert (event.address, event.details["region_code"]) == ("cli", ["77", "69"])


def test_users_set_region_refuses_unknown_users_and_regions(runner, make_user):
    make_user("anna", region="77")
    make_user("olga", role="coordinator", region="77")
    assert "No user" in runner.invoke(args=["users", "set-region", "nobody", "69"]).output
    result = runner.invoke(args=["users", "set-region", "anna", "999"])
    assert result.exit_code != 0 and "Неизвестный код региона 999" in result.output
    result = runner.invoke(args=["users", "set-region", "anna", "none"])
    assert result.exit_code != 0 and "Кандидату нужен регион" in result.output
    assert db.session.scalar(sa.select(User.region_code).where(User.username == "anna")) == "77"
    result = runner.invoke(args=["users", "set-region", "olga", "none"])  # a national coordinator now
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.region_code).where(User.username == "olga")) is None


def test_users_deactivate_reactivate_and_invite(app, runner, make_user):
    from lms.accounts.services import create_user
    from lms.mail.models import OutboxMessage

    anna = make_user("anna", email="anna@example.org")
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login("anna")
    result = runner.invoke(args=["users", "deactivate", "anna"])
    assert result.exit_code == 0 and "deactivated" in result.output
    assert other.get("/").status_code == 302  # her open session ended
    assert runner.invoke(args=["users", "reactivate", "anna"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(User, anna.id).is_active_account
    create_user("ivan", None, "candidate", region_code="77", email="ivan@example.org")
    make_user("boris")  # no email
    db.session.commit()
    assert runner.invoke(args=["users", "invite", "ivan"]).exit_code == 0
    assert runner.invoke(args=["users", "invite", "anna"]).exit_code == 0
    assert runner.invoke(args=["users", "invite", "boris"]).exit_code != 0
    assert runner.invoke(args=["users", "deactivate", "nobody"]).exit_code != 0
    kinds = dict(db.session.execute(sa.select(OutboxMessage.to_address, OutboxMessage.kind)).all())
    assert kinds == {"ivan@example.org": "invitation", "anna@example.org": "password_reset"}

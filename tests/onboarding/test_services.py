"""Carrying out an import: accounts, cohort places and enrolments, invitations and audit, written
once; strict mode; the same file twice; a confirmed import confirmed again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User, UserImport
from lms.audit.models import AuditEvent
from lms.content.models import Course
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.onboarding import services
from lms.onboarding.planning import build_plan
from lms.progress.cohorts import create_cohort, members, set_course
from lms.progress.models import Enrolment
from tests.onboarding.files import csv_bytes

HEADER = ["full_name", "email", "region", "username", "role", "cohort"]


def upload(actor, *rows, strict=False, invite=True, header=HEADER):
    user_import = services.store_upload(
        csv_bytes([header, *rows]), "люди.csv", actor, strict=strict, invite=invite
    )
    db.session.commit()
    return user_import


def users() -> dict[str, tuple]:
    return {
        u.username: (u.full_name, u.email, u.role.value, u.region_code, u.has_password)
        for u in db.session.scalars(sa.select(User))
    }


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_confirming_writes_accounts_memberships_enrolments_invitations_and_one_import_record(
    admin, make_user, imported
):
    course = db.session.scalar(sa.select(Course))
    cohort = create_cohort("Весна", region_code="77")
    set_course(cohort, course, None)
    make_user("old", region="77", full_name="Старый Знакомый", email="old@example.ru")
    db.session.commit()
    before = len(actions())
    user_import = upload(
        admin,
        ["Иванов Иван Петрович", "Ivan@Example.ru", "Москва", "", "", "Весна"],
        ["Петров Пётр", "", "50", "petrov", "преподаватель", ""],
        ["Старый Знакомый", "old@example.ru", "77", "", "", "Весна"],
        ["Плохой Адрес", "nope", "77", "", "", ""],
    )
    applied = services.confirm_import(user_import, admin)
    db.session.commit()

    assert applied.counts == {"new": 2, "update": 1, "unchanged": 0, "error": 1}
    assert applied.invited == 1  # Петров has no address
    assert applied.skipped == [(5, "email", "«nope» — не адрес электронной почты.")]
    found = users()
    assert found["ivanov.ip"] == ("Иванов Иван Петрович", "ivan@example.ru", "candidate", "77", False)
    assert found["petrov"] == ("Петров Пётр", None, "instructor", "50", False)
    assert sorted(member.username for member in members(cohort)) == ["ivanov.ip", "old"]
    enrolled = db.session.scalars(sa.select(Enrolment).where(Enrolment.cohort_id == cohort.id)).all()
    assert sorted(e.user.username for e in enrolled) == ["ivanov.ip", "old"]
    outbox = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [(m.kind, m.to_address) for m in outbox] == [("invitation", "ivan@example.ru")]

    new_actions = actions()[before:]
    assert new_actions.count("user.create") == 2 and new_actions.count("user.invite") == 1
    assert new_actions[-1] == "user.import" and new_actions.count("user.import") == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.import"))
    assert event.details == {
        "filename": "люди.csv",
        "strict": False,
        "counts": {"new": 2, "update": 1, "unchanged": 0, "error": 1},
        "invited": 1,
    }
    assert (event.target_type, event.target_id, event.actor_name) == (
        "user_import",
        str(user_import.id),
        "boss",
    )

    db.session.refresh(user_import)
    assert (user_import.status, user_import.content) == ("applied", b"")
    assert user_import.summary["counts"] == applied.counts
    assert user_import.summary["skipped"] == [[5, "email", "«nope» — не адрес электронной почты."]]


def test_the_same_file_twice_changes_nothing(admin, make_user):
    rows = [
        ["Иванов Иван Петрович", "ivan@example.ru", "77", "", "", ""],
        ["Сидорова Анна", "anna@example.ru", "г. Санкт-Петербург", "", "кандидат", ""],
        ["Петров Пётр", "", "50", "petrov", "преподаватель", ""],
    ]
    services.confirm_import(upload(admin, *rows), admin)
    db.session.commit()
    before = (users(), actions(), db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)))

    plan = build_plan(csv_bytes([HEADER, *rows]), admin)
    assert plan.counts() == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    applied = services.confirm_import(upload(admin, *rows), admin)
    db.session.commit()
    assert applied.counts == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    after = (users(), actions(), db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)))
    assert after[0] == before[0] and after[2] == before[2]
    assert after[1] == [*before[1], "user.import"]


def test_strict_mode_with_an_error_writes_nothing_and_leaves_the_import_open(admin):
    user_import = upload(
        admin,
        ["Хороший Человек", "good@example.ru", "77", "", "", ""],
        ["Плохой Регион", "bad@example.ru", "Атлантида", "", "", ""],
        strict=True,
    )
    with pytest.raises(services.ImportRefused) as refused:
        services.confirm_import(user_import, admin)
    db.session.rollback()
    assert refused.value.plan.counts()["error"] == 1
    assert set(users()) == {"boss"}
    db.session.refresh(user_import)
    assert user_import.status == "previewed" and user_import.content


def test_a_confirmed_import_confirmed_again_changes_nothing(admin):
    user_import = upload(admin, ["Один Человек", "one@example.ru", "77", "", "", ""])
    assert services.confirm_import(user_import, admin) is not None
    db.session.commit()
    assert services.confirm_import(user_import, admin) is None
    assert services.discard_import(user_import) is False
    db.session.commit()
    assert sorted(users()) == ["boss", "odin.c"]
    assert actions().count("user.import") == 1


def test_discarding_drops_the_file(admin):
    user_import = upload(admin, ["Один Человек", "one@example.ru", "77", "", "", ""])
    assert services.discard_import(user_import) is True
    db.session.commit()
    db.session.refresh(user_import)
    assert (user_import.status, user_import.content) == ("discarded", b"")
    assert services.confirm_import(user_import, admin) is None
    assert set(users()) == {"boss"}


def test_region_change_moves_the_candidates_enrolments(admin, make_user, imported):
    from lms.progress.services import enrol

    course = db.session.scalar(sa.select(Course))
    anna = make_user("anna", region="77", full_name="Анна", email="anna@example.ru")
    enrol(anna, course)
    db.session.commit()
    services.confirm_import(upload(admin, ["Анна", "anna@example.ru", "50", "", "", ""]), admin)
    db.session.commit()
    assert db.session.scalar(sa.select(Enrolment.region_code).where(Enrolment.user_id == anna.id)) == "50"


def test_a_file_that_cannot_be_read_is_refused_at_upload(admin):
    from lms.core.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.store_upload(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xls", admin, strict=False, invite=True
        )
    assert refused.value.field == "file"
    assert refused.value.message.startswith("Это файл старого Excel (.xls)")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserImport)) == 0


def test_filenames_are_kept_without_folders_or_control_characters(admin):
    content = csv_bytes([HEADER, ["А Б", "a@example.ru", "77", "", "", ""]])
    stored = services.store_upload(
        content, "C:\\Users\\x\\Люди\x00\x1b.csv", admin, strict=False, invite=False
    )
    assert stored.filename == "Люди.csv"
    assert services.store_upload(content, "", admin, strict=False, invite=False).filename == "import"


def test_imports_left_unconfirmed_are_discarded_by_age(admin):
    from datetime import timedelta

    from lms.core.time import utcnow

    old, recent, done = (upload(admin, ["А Б", f"{n}@example.ru", "77", "", "", ""]) for n in "abc")
    old.created_at = utcnow() - timedelta(days=8)
    done.created_at = utcnow() - timedelta(days=8)
    services.confirm_import(done, admin)
    db.session.commit()
    assert services.discard_stale_imports(timedelta(days=7)) == 1
    db.session.commit()
    for item in (old, recent, done):
        db.session.refresh(item)
    assert [(i.status, bool(i.content)) for i in (old, recent, done)] == [
        ("discarded", False),
        ("previewed", True),
        ("applied", False),
    ]

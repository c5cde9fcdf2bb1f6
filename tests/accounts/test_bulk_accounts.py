"""Many invited accounts at once (the bulk import's writer): the same checks as one at a time."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.services import NewAccount, create_accounts
from lms.audit.models import AuditEvent
from lms.core.errors import ValidationError
from lms.extensions import db


def test_accounts_are_written_with_search_text_unusable_passwords_and_audit(app, make_user):
    actor = make_user("root", role="admin")
    users = create_accounts(
        [
            NewAccount("ivanov.ip", "candidate", "77", "Иванов Иван Пётрович", "Ivanov@Example.org"),
            NewAccount("olga.c", "coordinator", "69", "Ольга", None),
        ],
        actor=actor,
    )
    db.session.commit()
    assert [u.username for u in users] == ["ivanov.ip", "olga.c"] and all(u.id for u in users)
    ivan = db.session.scalar(sa.select(User).where(User.username == "ivanov.ip"))
    assert ivan.email == "ivanov@example.org" and not ivan.has_password
    assert ivan.search_text == "иванов иван петрович ivanov.ip ivanov@example.org"
    events = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.target_label).where(
            AuditEvent.target_label != "root"
        )
    ).all()
    assert sorted(events) == [("user.create", "root", "ivanov.ip"), ("user.create", "root", "olga.c")]


@pytest.mark.parametrize(
    ("accounts", "field"),
    [
        ([NewAccount("anna", "candidate", "77", "Анна", None)], "username"),  # taken
        ([NewAccount("x", "candidate", "77", "X", None)], "username"),  # too short
        ([NewAccount("new.one", "candidate", "77", "A", "anna@example.org")], "email"),  # taken
        ([NewAccount("new.one", "candidate", "77", "A", "nope")], "email"),
        ([NewAccount("new.one", "candidate", None, "A", None)], "region"),
        ([NewAccount("new.one", "wizard", "77", "A", None)], "role"),
        (
            [
                NewAccount("same", "candidate", "77", "A", None),
                NewAccount("Same", "candidate", "77", "B", None),
            ],
            "username",
        ),
        (
            [
                NewAccount("one", "candidate", "77", "A", "a@b.org"),
                NewAccount("two", "candidate", "77", "B", "A@B.org"),
            ],
            "email",
        ),
    ],
)
def test_refusals_write_nothing(app, make_user, accounts, field):
    make_user("anna", email="anna@example.org")
    with pytest.raises(ValidationError) as refused:
        create_accounts(accounts)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1

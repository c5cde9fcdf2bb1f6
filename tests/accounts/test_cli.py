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
    assert result.exit_code != 0 and "Username" in result.output
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
    assert result.exit_code != 0 and "region" in result.output


def test_demo_creates_accounts_once(runner):
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0, first.output
    roles = {user.role.value for user in db.session.scalars(sa.select(User))}
    assert roles == {"candidate", "instructor", "coordinator", "admin"}
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

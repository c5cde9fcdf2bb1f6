"""The account management matrix: who may manage whom, give which role, in which region."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.permissions import assignable_roles, check_assignment, manageable_users, may_manage
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.extensions import db

# (actor, target) -> may manage
MATRIX = {
    ("admin", "national"): True,
    ("admin", "regional"): True,
    ("admin", "instructor"): True,
    ("admin", "anna"): True,
    ("admin", "admin"): False,  # not themselves
    ("national", "anna"): True,
    ("national", "boris"): True,
    ("national", "regional"): True,
    ("national", "regional_69"): True,
    ("national", "national"): False,
    ("national", "admin"): False,
    ("national", "instructor"): False,
    ("regional", "anna"): True,
    ("regional", "boris"): False,  # another region
    ("regional", "regional"): False,
    ("regional", "regional_69"): False,
    ("regional", "instructor"): False,
    ("regional", "admin"): False,
    ("instructor", "anna"): False,
    ("anna", "boris"): False,
}


@pytest.mark.parametrize(("actor", "target"), sorted(MATRIX))
def test_may_manage_matrix(people, actor, target):
    assert may_manage(getattr(people, actor), getattr(people, target)) is MATRIX[(actor, target)]


@pytest.mark.parametrize("actor", ["admin", "national", "regional", "instructor", "anna"])
def test_the_list_query_agrees_with_may_manage(people, actor):
    """manageable_users (the SQL every list starts from) and may_manage (per user) never disagree."""
    viewer = getattr(people, actor)
    listed = set(db.session.scalars(manageable_users(viewer).with_only_columns(User.id)))
    everybody = db.session.scalars(sa.select(User)).all()
    assert listed == {user.id for user in everybody if may_manage(viewer, user)}


def test_a_deactivated_manager_manages_nobody(people):
    people.admin.is_active_account = False
    assert not may_manage(people.admin, people.anna)


def test_roles_each_actor_may_give(people):
    assert assignable_roles(people.admin) == (Role.CANDIDATE, Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
    assert assignable_roles(people.national) == (Role.CANDIDATE, Role.COORDINATOR)
    assert assignable_roles(people.regional) == (Role.CANDIDATE,)
    assert assignable_roles(people.instructor) == ()


@pytest.mark.parametrize(
    ("actor", "role", "region", "field"),
    [
        ("national", "admin", None, "role"),
        ("national", "instructor", None, "role"),
        ("national", "coordinator", None, "region"),  # a coordinator they appoint needs a region
        ("regional", "coordinator", "77", "role"),
        ("regional", "candidate", "69", "region"),
        ("admin", "wizard", "77", "role"),
    ],
)
def test_assignments_refused(people, actor, role, region, field):
    with pytest.raises(ValidationError) as refused:
        check_assignment(getattr(people, actor), role, region)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("actor", "role", "region"),
    [
        ("admin", "admin", None),
        ("admin", "coordinator", None),
        ("national", "coordinator", "69"),
        ("national", "candidate", "50"),
        ("regional", "candidate", "77"),
    ],
)
def test_assignments_allowed(people, actor, role, region):
    check_assignment(getattr(people, actor), role, region)

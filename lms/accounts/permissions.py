"""Who may manage whose account. One matrix, used by the user list, the user pages, the bulk import
and the CLI-free browser flows:

- admin: everybody but themselves (their own account is /account); any role, any region or none.
- national coordinator: candidates, and coordinators of a region; gives those two roles, any region
  (a coordinator they appoint needs one).
- regional coordinator: candidates of their own region; gives the candidate role, their region only.
- instructors and candidates: nobody.

Nobody manages their own role, region or active state (an admin cannot lock themselves out).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.core.errors import ValidationError
from lms.core.roles import Role


def is_user_manager(actor: User) -> bool:
    """Whether the administration area's user pages are open to this actor at all."""
    return actor.role in (Role.ADMIN, Role.COORDINATOR)


def is_national(actor: User) -> bool:
    return actor.role == Role.ADMIN or (actor.role == Role.COORDINATOR and not actor.region_code)


def assignable_roles(actor: User) -> tuple[Role, ...]:
    """Roles this actor may give, in the order forms list them."""
    if actor.role == Role.ADMIN:
        return (Role.CANDIDATE, Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
    if actor.role == Role.COORDINATOR:
        return (Role.CANDIDATE, Role.COORDINATOR) if not actor.region_code else (Role.CANDIDATE,)
    return ()


def region_limit(actor: User) -> str | None:
    """The one region an actor's management is limited to (regional coordinators), else None."""
    return actor.region_code if actor.role == Role.COORDINATOR and actor.region_code else None


def may_manage(actor: User, target: User) -> bool:
    """May `actor` edit, deactivate, invite or end the sessions of `target`?"""
    if actor.id == target.id or not actor.is_active_account:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.COORDINATOR:
        return False
    if actor.region_code:
        return target.role == Role.CANDIDATE and target.region_code == actor.region_code
    return target.role == Role.CANDIDATE or (target.role == Role.COORDINATOR and bool(target.region_code))


def manageable_users(actor: User) -> sa.Select:
    """SELECT of the users `actor` may manage: the user list and every bulk action start here."""
    query = sa.select(User)
    if actor.role == Role.ADMIN:
        return query.where(User.id != actor.id)
    if actor.role != Role.COORDINATOR:
        return query.where(sa.false())
    if actor.region_code:
        return query.where(User.role == Role.CANDIDATE, User.region_code == actor.region_code)
    return query.where(
        sa.or_(
            User.role == Role.CANDIDATE, sa.and_(User.role == Role.COORDINATOR, User.region_code.is_not(None))
        )
    )


def check_assignment(actor: User, role: Role | str, region_code: str | None) -> None:
    """Raise ValidationError unless `actor` may give an account this role and region."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError("unknown_role", _l("Unknown role."), field="role") from None
    if role not in assignable_roles(actor):
        raise ValidationError("role_not_allowed", _l("You may not give this role."), field="role")
    limit = region_limit(actor)
    if limit is not None and region_code != limit:
        raise ValidationError(
            "other_region", _l("You manage accounts of your own region only."), field="region"
        )
    if actor.role == Role.COORDINATOR and role == Role.COORDINATOR and not region_code:
        raise ValidationError(
            "region_needed", _l("A coordinator you appoint needs a region."), field="region"
        )

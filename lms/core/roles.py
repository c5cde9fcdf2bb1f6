"""Roles and the decorator that declares which of them may call a view."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.extensions import login_manager

F = TypeVar("F", bound=Callable)


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    INSTRUCTOR = "instructor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


def role_required(*roles: Role) -> Callable[[F], F]:
    """Anonymous users go to login (with a safe `next`); signed-in users of other roles get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class Refused(Exception):
    """A rule said no to the signed-in user (lms.progress.visibility): answered with 403, exactly as
    a wrong role is, by the error handler in lms.core.web. Services raise it; they never abort."""


def login_required(view: F) -> F:
    """Any signed-in, active user."""
    return role_required()(view)


ROLE_LABELS = {
    Role.CANDIDATE: _l("Candidate"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}


def role_label(role: Role | str) -> str:
    """A role's name in the reader's language."""
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)

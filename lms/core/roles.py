"""Roles and the decorator that declares which of them may call a view."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user

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
            from lms.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def login_required(view: F) -> F:
    """Any signed-in, active user."""
    return role_required()(view)

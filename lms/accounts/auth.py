"""Flask-Login wiring: the cookie carries a server-side session token, checked every request."""

from __future__ import annotations

from flask import Flask

from lms.accounts.models import User
from lms.accounts.services import load_session_user
from lms.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself
    # "strong" would drop the session on an IP change (mobile networks); revocation is server-side.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(token: str) -> User | None:
        return load_session_user(token)

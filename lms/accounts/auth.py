"""Flask-Login wiring: the cookie carries a server-side session token, checked every request."""

from __future__ import annotations

from flask import Flask, Response, abort, session

from lms.accounts import sessions
from lms.accounts.models import User
from lms.accounts.sessions import describe_user_agent, load_session_user
from lms.core.roles import Role, role_label
from lms.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself
    # "strong" would drop the session on an IP change (mobile networks); revocation is server-side.
    login_manager.session_protection = "basic"

    app.add_template_global(role_label)
    app.add_template_global(describe_user_agent, "browser_label")
    app.add_template_global(sessions.expires_at, "session_expires_at")

    @app.teardown_request
    def _touch_session(error: BaseException | None) -> None:
        if error is None:
            sessions.touch_pending_session()

    @login_manager.user_loader
    def _load_user(token: object) -> User | None:
        return load_session_user(token) if isinstance(token, str) else None


def session_token() -> str | None:
    """This request's session token; Flask-Login keeps it in the signed cookie as the user id."""
    token = session.get("_user_id")
    return token if isinstance(token, str) else None


def adopt_user(user: User | None) -> None:
    """Make a user that a page loaded itself, in the same statement as the page, this request's
    `current_user`, so Flask-Login does not load it again; None makes the request anonymous.

    Goes through the setter Flask-Login's own `login_user` uses. Session protection is "basic",
    which only marks a session non-fresh, and nothing here asks for fresh logins.
    """
    login_manager._update_request_context_with_user(user)


def candidate_or_refusal(user: User | None, found: object) -> Response | None:
    """For a candidate's page that read its user in its own statement: adopt the user, then answer
    as `role_required(Role.CANDIDATE)` and the ownership check would (login for nobody, 403 for
    other roles, 404 when the row is not theirs or not there). None: the page may be shown."""
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    if user.role != Role.CANDIDATE:
        abort(403)
    if found is None:
        abort(404)
    return None

"""The low-vision version («Версия для слабовидящих»): one flag, remembered per user and per browser.

Same pages, same addresses: the flag only puts the class `low-vision` on `<html>`, and the
stylesheet (the `html.low-vision` section of static/css/app.css) does the rest.

Where the choice lives, kept simple:
- signed out: the cookie `lv` (value `1` when on, no cookie when off);
- signed in: `users.low_vision`, and the cookie follows it (so the sign-in page after signing out
  looks the way the person left it);
- signing in with the version on (cookie `lv=1`) turns it on for the user too: someone who needed
  it to reach the sign-in form needs it afterwards. Turning it off is always an explicit switch.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, Response, current_app, has_request_context, request
from flask_login import current_user

COOKIE = "lv"
COOKIE_ON = "1"
# A browser remembers the choice for a year; each switch renews it.
COOKIE_MAX_AGE = timedelta(days=365)


def chosen_by_cookie() -> bool:
    """Whether this browser asked for the low-vision version (before or without signing in)."""
    return request.cookies.get(COOKIE) == COOKIE_ON


def is_on() -> bool:
    """Whether this request's pages are shown in the low-vision version."""
    if not has_request_context():  # mail rendered by a CLI command or a worker
        return False
    if current_user and current_user.is_authenticated:
        return bool(current_user.low_vision)
    return chosen_by_cookie()


def remember(response: Response, on: bool) -> None:
    """Write the choice into this browser's cookie (set when on, removed when off)."""
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if on:
        response.set_cookie(
            COOKIE,
            COOKIE_ON,
            max_age=int(COOKIE_MAX_AGE.total_seconds()),
            path="/",
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")


def adopt_on_sign_in(user) -> None:
    """At sign-in: a browser in the low-vision version turns it on for the user (never off)."""
    if chosen_by_cookie() and not user.low_vision:
        user.low_vision = True


def init_app(app: Flask) -> None:
    """`low_vision` in every template, and the cookie kept in step with a signed-in user's choice."""

    @app.context_processor
    def _low_vision_context() -> dict:
        return {"low_vision": is_on()}

    @app.after_request
    def _cookie_follows_user(response: Response) -> Response:
        # The choice may have been made on another device or on the profile page: the cookie
        # catches up, so signing out leaves this browser in the version its user last chose.
        if request.endpoint == "static" or not has_request_context():
            return response
        already_set = any(
            header.startswith(f"{COOKIE}=") for header in response.headers.getlist("Set-Cookie")
        )
        if not (current_user and current_user.is_authenticated) or already_set:
            return response
        # Only as loaded: a page that committed before this (a lesson) has expired the user, and
        # reloading it would cost the busiest page a query; the next page catches up instead.
        on = sa.inspect(current_user._get_current_object()).dict.get("low_vision")
        if on is not None and on != chosen_by_cookie():
            remember(response, on)
        return response

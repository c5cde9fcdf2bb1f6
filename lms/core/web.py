"""Error pages, security headers and template helpers shared by every blueprint."""

from __future__ import annotations

from flask import Flask, abort, render_template, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from lms.core.fragments import FragmentCache
from lms.core.roles import Refused

# Pages carry no inline scripts or styles; everything comes from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` that only matches ids a database column can hold: bigger numbers are a 404."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


MAX_PAGE = 100_000
NAV_SECTIONS = {
    "progress.home": "home",
    "exercises.review_queue": "review",
    "exercises.team_projects": "review",
    "exercises.team_project": "review",
    "dashboards.teaching": "teaching",
    "dashboards.teaching_course": "teaching",
    "certificates.issued": "dashboards",
    "certificates.revoke": "dashboards",
}
ADMIN_BLUEPRINTS = ("admin.", "onboarding.", "audit.", "outbox.", "course_staff.")


def bounded_int(raw: str | None, *, low: int = 1, high: int = 2**63 - 1) -> int | None:
    """`raw` as an integer between low and high, else None: text, "-5", "٣", or a number no
    database column holds (SQLite refuses one past 2**63 - 1 with an OverflowError, a 500)."""
    if not raw or len(raw) > 19 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def database_id(raw: str | None) -> int | None:
    """A submitted id (a select's option, a checkbox's value) that may reach SQL, else None."""
    return bounded_int(raw)


def database_ids(raws: list[str]) -> list[int]:
    """The submitted ids among `raws` (checkboxes of one name) that may reach SQL; others dropped."""
    return [value for value in map(database_id, raws) if value is not None]


def int_arg(name: str, default: int | None, *, low: int = 1, high: int = 2**63 - 1) -> int | None:
    """An integer query parameter between low and high; anything else is the default, so an
    edited address never reaches SQL as a 500."""
    value = bounded_int(request.args.get(name), low=low, high=high)
    return default if value is None else value


def page_arg() -> int:
    """The ?page= of a paginated list: 1 unless a sensible page number was asked for."""
    return int_arg("page", 1, high=MAX_PAGE)


def init_app(app: Flask) -> None:
    """Register error handlers, headers, the id converter and Jinja helpers (before blueprints)."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.jinja_env.add_extension(FragmentCache)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_template("errors/error.html", code=400, reason="csrf"), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if request.path.startswith("/static/") or error.code is None or error.code < 400:
            return error
        return render_template("errors/error.html", code=error.code, reason=None), error.code

    @app.errorhandler(Refused)
    def _refused(error: Refused):
        return render_template("errors/error.html", code=403, reason=None), 403

    @app.template_global()
    def nav_section(endpoint: str | None) -> str | None:
        """Which main-menu entry the page belongs to, for aria-current (and the header's cache key)."""
        if endpoint in NAV_SECTIONS:
            return NAV_SECTIONS[endpoint]
        if endpoint and endpoint.startswith("dashboards."):
            return "dashboards"
        if endpoint and endpoint.startswith("seminars."):
            return "seminars"
        if endpoint and endpoint.startswith(ADMIN_BLUEPRINTS):
            return "admin"
        if endpoint and endpoint.startswith(("authoring.", "authoring_structure.")):
            return "authoring"
        return NAV_SECTIONS.get(endpoint or "")

    @app.template_filter("dict_without")
    def _dict_without(mapping: dict, *keys: str) -> dict:
        """Query arguments minus some keys, for pagination links that keep the filters."""
        return {key: value for key, value in mapping.items() if key not in keys}

    @app.before_request
    def _refuse_nul_bytes():
        """No form or URL value may carry a NUL byte: PostgreSQL text cannot store one.

        Pages (GET, HEAD) read no form, so only their address is checked.
        """
        values = [*request.args.values(), request.path]
        if request.method not in ("GET", "HEAD"):
            values += request.form.values()
        if any("\x00" in value for value in values):
            abort(400)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Served over HTTPS only (the cookie says so): browsers must never try plain HTTP.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if _is_personal():
            _keep_out_of_shared_caches(response)
        return response


HSTS = "max-age=31536000; includeSubDomains"


def _is_personal() -> bool:
    """A response for one person: the request is signed in, or the response sets the session
    cookie (a sign-in's redirect, a form's CSRF token). Static files are the same for everyone."""
    if request.endpoint == "static" or request.path.startswith("/static/"):
        return False
    return bool(session.get("_user_id")) or session.modified


def _keep_out_of_shared_caches(response) -> None:
    """`private, no-store`: no proxy keeps a copy, nor the browser once the tab is gone (the back
    button after signing out on a shared computer). A response that chose a lifetime (a course's
    image) stays cacheable, by this browser only."""
    cache = response.cache_control
    if cache.max_age and not cache.no_store:
        cache.public = False
        cache.private = True
    else:
        response.headers["Cache-Control"] = "private, no-store"

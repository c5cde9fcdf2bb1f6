"""Russian first, English on request: the choice lives in the session."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask.globals import request_ctx
from flask_babel import get_translations
from flask_login import current_user

from lms.extensions import babel


def select_locale() -> str:
    """Explicit choice (session) wins; otherwise Russian, the school's language (also outside a
    request: CLI commands and the mail worker speak Russian unless told otherwise)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The signed-in user's time zone for every date shown; the school's (Moscow) otherwise."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    user = current_user
    if user and user.is_authenticated and user.timezone:
        return user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def request_translations():
    """This request's catalogue, from Flask-Babel once and then kept on the request context.

    Not on `g`: an application context can outlive a request (tests, CLI), and the next request
    may have chosen another language.
    """
    if not has_request_context():
        return get_translations()
    context = request_ctx._get_current_object()
    translations = getattr(context, "lms_translations", None)
    if translations is None:
        translations = context.lms_translations = get_translations()
    return translations


def init_app(app: Flask) -> None:
    """Wire Flask-Babel with the translations folder beside the package."""
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(app.root_path.rsplit("/", 1)[0] + "/translations")
    )
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-Babel's template callables resolve domain, locale and catalogue on every string (a
    # page has dozens); these look the catalogue up once per request and keep Jinja's newstyle
    # gettext (autoescaping, %(name)s variables) as it is.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def _locale_context() -> dict:
        if not has_request_context():  # mail rendered by a CLI command or a worker
            return {}
        return {"current_lang": select_locale(), "request_path": request.full_path.rstrip("?")}

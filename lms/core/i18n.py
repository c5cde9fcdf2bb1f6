"""Russian first, English on request: the choice lives in the session."""

from __future__ import annotations

from flask import Flask, current_app, request, session

from lms.extensions import babel


def select_locale() -> str:
    """Explicit choice (session) wins; otherwise Russian, the school's language."""
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    """Wire Flask-Babel with the translations folder beside the package."""
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(app.root_path.rsplit("/", 1)[0] + "/translations")
    )
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _locale_context() -> dict:
        return {"current_lang": select_locale(), "request_path": request.full_path.rstrip("?")}

"""Configuration: defaults here, environment variables on top, `instance/config.py` last."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    # PostgreSQL connections are pinged before reuse (a restarted server must not cost a 500);
    # lms.create_app drops the ping for SQLite, whose file connections never go stale.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    COURSES_DIR: str = os.environ.get("COURSES_DIR", str(PROJECT_ROOT / "courses"))
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
    LANGUAGES = ("ru", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # Failed logins allowed per username and per address inside the window before a lockout.
    LOGIN_MAX_FAILURES = 5
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    # Attachments live outside static/ and are served only through an access check.
    UPLOAD_DIR: str | None = os.environ.get("UPLOAD_DIR")
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"

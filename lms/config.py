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

    # The school's own address: links in mail and in `flask users reset-password` are built on it,
    # never on the request's Host header.
    PUBLIC_URL: str = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # Passwords: hashing method, rules, and how long set-password links live.
    PASSWORD_HASH_METHOD = "scrypt"
    PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))
    INVITATION_MAX_AGE = timedelta(days=int(os.environ.get("INVITATION_MAX_AGE_DAYS", "14")))
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    RESET_MAILS_PER_HOUR = 3

    # Outgoing mail. No MAIL_SERVER (the `make run` default): messages wait in the outbox, where
    # admins see them with their links.
    MAIL_SERVER: str | None = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_SECURITY = os.environ.get("MAIL_SECURITY", "starttls")  # starttls | ssl | none
    MAIL_USERNAME: str | None = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD: str | None = os.environ.get("MAIL_PASSWORD") or None
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Высшая партийная школа <noreply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    # A worker's claim on a message lapses after this; a killed worker's messages then go out again.
    MAIL_CLAIM_TIMEOUT = timedelta(seconds=int(os.environ.get("MAIL_CLAIM_TIMEOUT_SECONDS", "300")))
    MAIL_MESSAGE_ID_DOMAIN: str | None = os.environ.get("MAIL_MESSAGE_ID_DOMAIN") or None

    # Audit records older than this are pruned by `flask lms cleanup` (lms.audit.services.prune_expired);
    # 0 keeps them all.
    AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "1095"))


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-secret"
    # Cheap hashing keeps the suite fast; the production method is tested on its own.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"

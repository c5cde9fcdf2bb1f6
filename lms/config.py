"""Configuration: defaults here, environment variables on top, `instance/config.py` last."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL connections idle this long are pinged before reuse (a server restarted overnight
    # must not cost a 500), not every checkout: a ping per request is a round trip per request.
    DATABASE_IDLE_PING_SECONDS: float = float(os.environ.get("DATABASE_IDLE_PING_SECONDS", "30"))
    # Behind a transaction-pooling PgBouncer (docs/deployment.md) each transaction may run on another
    # server connection, so psycopg must not prepare statements on the server (PgBouncer 1.18 of
    # Debian 12 cannot track them): DATABASE_PGBOUNCER=1 turns psycopg's automatic prepares off.
    DATABASE_PGBOUNCER: bool = os.environ.get("DATABASE_PGBOUNCER", "0") == "1"
    COURSES_DIR: str = os.environ.get("COURSES_DIR", str(PROJECT_ROOT / "courses"))
    # Seminar programmes (`<key>.md`, docs/seminars.md), imported after the courses; "" for none.
    SEMINARS_DIR: str = os.environ.get("SEMINARS_DIR", str(PROJECT_ROOT / "seminars"))
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
    LANGUAGES = ("ru", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # A sign-in lasts while it is used: it ends after SESSION_IDLE_TIMEOUT without a request, and
    # SESSION_ABSOLUTE_TIMEOUT after the password was typed, however busy. Checked on the server.
    SESSION_IDLE_TIMEOUT = timedelta(days=int(os.environ.get("SESSION_IDLE_DAYS", "14")))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(days=int(os.environ.get("SESSION_ABSOLUTE_DAYS", "30")))
    # A session's last activity is written at most this often (not on every request).
    SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
    # Ended (signed out, revoked or expired) sessions are kept this long for the sessions pages,
    # then `flask lms cleanup` deletes them.
    SESSION_RETENTION_DAYS = int(os.environ.get("SESSION_RETENTION_DAYS", "30"))

    # Login throttling (see README, "Sign-in protection"). Failed passwords allowed inside the window:
    # per account from browsers it never signed in from, per known browser (device cookie), and per
    # client address over all accounts from untrusted browsers.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    # The public certificate check (/verify): look-ups per client address within the window,
    # counted in the database so that every worker shares the count.
    VERIFY_MAX_LOOKUPS = int(os.environ.get("VERIFY_MAX_LOOKUPS", "30"))
    VERIFY_LOOKUP_WINDOW = timedelta(minutes=10)
    # A browser that signed in as a user is trusted for that user this long (a signed cookie).
    LOGIN_DEVICE_COOKIE = "lms_device"
    LOGIN_DEVICE_MAX_AGE = timedelta(days=int(os.environ.get("LOGIN_DEVICE_DAYS", "180")))

    # Behind a reverse proxy: the addresses or networks (comma-separated) whose X-Forwarded-*
    # headers are believed, and how many hops of each header to take (werkzeug's ProxyFix).
    # From any other client these headers are removed. Empty: no proxy is trusted.
    TRUSTED_PROXIES: list[str] = [
        entry.strip() for entry in os.environ.get("TRUSTED_PROXIES", "").split(",") if entry.strip()
    ]
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "1"))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", "1"))
    PROXY_FIX_X_HOST = int(os.environ.get("PROXY_FIX_X_HOST", "0"))
    PROXY_FIX_X_PORT = int(os.environ.get("PROXY_FIX_X_PORT", "0"))
    PROXY_FIX_X_PREFIX = int(os.environ.get("PROXY_FIX_X_PREFIX", "0"))
    # Attachments live outside static/ and are served only through an access check.
    UPLOAD_DIR: str | None = os.environ.get("UPLOAD_DIR")
    # Attachments on the local disk (UPLOAD_DIR) or in S3-compatible object storage: lms/core/storage.py.
    STORAGE = os.environ.get("STORAGE", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")
    S3_REGION = os.environ.get("S3_REGION")
    # Course images stored at import, named by their SHA-256 (STORAGE=local: this folder, default
    # instance/assets; STORAGE=s3: the bucket's `assets/` prefix). See docs/operations.md.
    ASSET_DIR: str | None = os.environ.get("ASSET_DIR")
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024
    # Images uploaded for a lesson in the browser (lms/authoring/images.py), in bytes.
    AUTHORING_MAX_IMAGE_BYTES = int(os.environ.get("AUTHORING_MAX_IMAGE_BYTES", str(2 * 1024 * 1024)))

    # Operations (docs/operations.md): one JSON line per request on the logger `lms.requests`
    # (REQUEST_LOG_PROBES: also for /healthz, /readyz, /metrics), and Prometheus metrics at
    # /metrics, off unless asked for, behind a bearer token when METRICS_TOKEN is set.
    REQUEST_LOG = os.environ.get("REQUEST_LOG", "1") == "1"
    REQUEST_LOG_PROBES = os.environ.get("REQUEST_LOG_PROBES", "0") == "1"
    METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "0") == "1"
    METRICS_TOKEN: str | None = os.environ.get("METRICS_TOKEN") or None
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit

    # The school's own address: links in mail and in `flask users reset-password` are built on it,
    # never on the request's Host header.
    PUBLIC_URL: str = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # Passwords: hashing method, rules, and how long set-password links live.
    PASSWORD_HASH_METHOD = "scrypt"  # nosec B105  # the name of a hashing method
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

    # Uploaded user files nobody confirmed are discarded by `flask lms cleanup` after this many days.
    UNCONFIRMED_IMPORT_DAYS = int(os.environ.get("UNCONFIRMED_IMPORT_DAYS", "7"))
    # Audit records older than this are pruned by `flask lms cleanup` (lms.audit.services.prune_expired);
    # 0 keeps them all.
    # Notifications: `flask lms remind` warns this many days before a due date; a coordinator may
    # send this many reminders an hour; the weekly summary goes on this weekday (0 = Monday).
    REMIND_DUE_DAYS = int(os.environ.get("REMIND_DUE_DAYS", "3"))
    REMINDERS_PER_HOUR = int(os.environ.get("REMINDERS_PER_HOUR", "100"))
    WEEKLY_SUMMARY_WEEKDAY = int(os.environ.get("WEEKLY_SUMMARY_WEEKDAY", "0"))
    AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "1095"))
    # Seminar attendance: a QR check-in code is current this many seconds (and accepted one step
    # more); check-in opens this many minutes before a session; arrivals later than the grace
    # after the start are marked late.
    ATTENDANCE_QR_STEP_SECONDS = int(os.environ.get("ATTENDANCE_QR_STEP_SECONDS", "60"))
    ATTENDANCE_CHECKIN_EARLY_MINUTES = int(os.environ.get("ATTENDANCE_CHECKIN_EARLY_MINUTES", "15"))
    ATTENDANCE_LATE_GRACE_MINUTES = int(os.environ.get("ATTENDANCE_LATE_GRACE_MINUTES", "10"))


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-secret"  # nosec B105  # TestingConfig only (create_app with TESTING)
    # Cheap hashing keeps the suite fast; the production method is tested on its own.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # nosec B105  # a method name; tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    REQUEST_LOG = False  # a test turns it on to read the lines
    METRICS_ENABLED = False
    # Tests import their own fixture courses; the school's seminars link the school's courses.
    SEMINARS_DIR = ""

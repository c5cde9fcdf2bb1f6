"""The Higher Party School LMS: application factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

# `kinds` fills content's item-kind registry as it is imported, so importing anything from `lms`
# (the Flask-free loader in `flask lms check`, tests, editors) knows every kind without an app.
from lms import cli, extensions, kinds  # noqa: F401
from lms.accounts import auth, low_vision
from lms.accounts import cli as accounts_cli
from lms.accounts.views import bp as accounts_bp
from lms.admin.staff_views import bp as course_staff_bp
from lms.admin.views import bp as admin_bp
from lms.audit.views import bp as audit_bp
from lms.authoring import cli as authoring_cli

# Adds its routes to the structure blueprint (as the imports below do for other blueprints).
from lms.authoring import image_graph_views  # noqa: F401
from lms.authoring.history_views import bp as authoring_history_bp
from lms.authoring.structure_views import bp as authoring_structure_bp
from lms.authoring.views import bp as authoring_bp
from lms.certificates import cli as certificates_cli
from lms.certificates.views import bp as certificates_bp
from lms.config import Config, TestingConfig
from lms.content import cli as content_cli
from lms.content.views import bp as content_bp
from lms.core import db as core_db
from lms.core import formats, i18n, metrics, proxy, requestlog, sqlite, transactions, web
from lms.core.health import bp as health_bp

# These add their pages to another module's blueprint (dashboards', content's), so they are
# imported here, before any app registers those blueprints.
from lms.dashboards import cli as dashboards_cli
from lms.dashboards import cohort_views, export_views, reminder_views, teaching_views  # noqa: F401
from lms.dashboards.views import bp as dashboards_bp
from lms.exercises import assignment_views, review_views, team_views  # noqa: F401
from lms.exercises.views import bp as exercises_bp
from lms.mail import cli as mail_cli
from lms.mail.views import bp as outbox_bp
from lms.notifications.views import bp as notifications_bp
from lms.onboarding import cli as onboarding_cli
from lms.onboarding.views import bp as onboarding_bp
from lms.progress import cli as progress_cli
from lms.progress import lesson_views  # noqa: F401
from lms.progress.views import bp as progress_bp
from lms.quizzes import cli as quizzes_cli
from lms.quizzes.views import bp as quizzes_bp
from lms.seminars import attendance_progress, manage_views  # noqa: F401
from lms.seminars.attendance_views import bp as attendance_bp
from lms.seminars.views import bp as seminars_bp
from lms.surveys.views import bp as surveys_bp


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI. No I/O beyond reading config."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(Path(__file__).resolve().parent.parent / "templates"),
        static_folder=str(Path(__file__).resolve().parent.parent / "static"),
    )
    testing = bool(config and config.get("TESTING"))
    app.config.from_object(TestingConfig if testing else Config)
    if not testing:
        app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.update(config)
    _default_database(app)
    _default_secret_key(app)

    requestlog.init_app(app)  # first: its clock starts before, and its log line ends after, every hook
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, render_as_batch=True)
    extensions.csrf.init_app(app)
    metrics.init_app(app)
    core_db.init_app(app)

    i18n.init_app(app)
    formats.init_app(app)
    sqlite.init_app(app)
    transactions.init_app(app)
    web.init_app(app)
    proxy.init_app(app)

    auth.init_app(app)
    low_vision.init_app(app)

    for blueprint in (
        accounts_bp,
        content_bp,
        progress_bp,
        quizzes_bp,
        exercises_bp,
        surveys_bp,
        dashboards_bp,
        admin_bp,
        course_staff_bp,
        onboarding_bp,
        audit_bp,
        outbox_bp,
        certificates_bp,
        notifications_bp,
        health_bp,
        metrics.bp,
        authoring_bp,
        authoring_structure_bp,
        authoring_history_bp,
        seminars_bp,
        attendance_bp,
    ):
        app.register_blueprint(blueprint)
    # Probes and metrics take no form, so no CSRF token (they are GETs anyway).
    extensions.csrf.exempt(health_bp)
    extensions.csrf.exempt(metrics.bp)

    cli.init_app(
        app,
        [
            accounts_cli,
            content_cli,
            progress_cli,
            quizzes_cli,
            mail_cli,
            onboarding_cli,
            certificates_cli,
            dashboards_cli,
            authoring_cli,
        ],
    )
    return app


def _default_database(app: Flask) -> None:
    """SQLite under instance/ unless DATABASE_URL (or test config) names another database; the
    URL is normalised for psycopg 3, and behind PgBouncer nothing is prepared on the server."""
    if app.config.get("SQLALCHEMY_DATABASE_URI"):
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri.startswith("postgres://"):
            uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
        elif uri.startswith("postgresql://"):
            uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    else:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "lms.sqlite3")
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and app.config.get(
        "DATABASE_PGBOUNCER"
    ):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _default_secret_key(app: Flask) -> None:
    """Keep a random key in instance/secret_key so sessions survive restarts without a key in git."""
    if app.config.get("SECRET_KEY"):
        return
    os.makedirs(app.instance_path, exist_ok=True)
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()

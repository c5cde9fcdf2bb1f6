"""`flask lms ...` and `flask users ...`: the two groups, their registration and the commands that
span domains (content check and import with seminars, rollups with quizzes' trouble, cleanup, the
demo data, a user's region with their enrolments, attachment storage). A domain's own commands live
in its cli.py and attach to these groups on import: thin wrappers over services, one commit each."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.accounts.services import check_region, create_user, find_user, update_user
from lms.accounts.sessions import delete_ended_sessions
from lms.accounts.throttle import delete_old_failures
from lms.audit.services import prune_expired
from lms.content.loader import load_tree
from lms.content.problems import ContentError
from lms.content.references import known_keys
from lms.content.services import live_courses
from lms.content.staff import add_instructor
from lms.content.sync import sync_tree
from lms.core import jobs, storage
from lms.core.errors import ValidationError
from lms.extensions import db
from lms.onboarding.services import discard_stale_imports
from lms.progress import rollups
from lms.progress.services import enrol
from lms.quizzes.services import refresh_stuck_on_quiz
from lms.seminars.catalogue import TreeCatalogue, check_folder
from lms.seminars.importer import import_folder

lms_cli = AppGroup("lms", help="Content and demo data.")
users_cli = AppGroup("users", help="User accounts.")
storage_cli = AppGroup("storage", help="Where attachments are kept.")
lms_cli.add_command(storage_cli)

DEMO_ACCOUNTS = (
    ("candidate", "candidate", "77", "Анна Кандидатова"),
    ("instructor", "instructor", None, "Игорь Преподавателев"),
    ("coordinator", "coordinator", None, "Ольга Координаторова"),
    ("coordinator77", "coordinator", "77", "Павел Московский"),
    ("admin", "admin", None, "Администратор"),
)


def _courses_root() -> Path:
    return Path(current_app.config["COURSES_DIR"])


def _seminars_root() -> Path | None:
    folder = current_app.config.get("SEMINARS_DIR")
    return Path(folder) if folder else None


def _display_prefix(root: Path) -> str:
    try:
        return str(root.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(root)


@lms_cli.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--seminars",
    "seminars_root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Seminar programmes to check against these courses (default: SEMINARS_DIR without ROOT).",
)
@click.argument("root", required=False, type=click.Path(file_okay=False, path_type=Path))
def check_command(strict: bool, seminars_root: Path | None, root: Path | None) -> None:
    """Check every course file and seminar programme; print `path:line:col: CODE message` for each
    problem."""
    if seminars_root is None and root is None:
        seminars_root = _seminars_root()
    root = root or _courses_root()
    result = load_tree(root, display_prefix=_display_prefix(root), known=_known_keys(seminars_root))
    problems = list(result.problems)
    if seminars_root is not None and seminars_root.is_dir():
        catalogue = TreeCatalogue.of(result.courses)
        problems += check_folder(seminars_root, catalogue, display_prefix=_display_prefix(seminars_root))
    for problem in problems:
        click.echo(str(problem))
    errors = sum(1 for problem in problems if problem.severity == "error")
    warnings = len(problems) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


def _known_keys(seminars_root: Path | None) -> dict[str, frozenset[str]]:
    """What the courses may name of other domains (seminars), as the import will see it: the
    programmes in the folder checked with them (else SEMINARS_DIR) and the database's rows."""
    folders = {"seminar": seminars_root} if seminars_root is not None else {}
    try:
        return known_keys(folders)
    except sa.exc.SQLAlchemyError:
        # No database yet (a fresh checkout, `check` before `flask db upgrade`): the files only.
        db.session.rollback()
        return known_keys(folders, database=False)


@lms_cli.command("import")
def import_command() -> None:
    """Import courses/ into the database: all or nothing, unchanged files skipped."""
    if not jobs.claim("import"):
        click.echo(_("Another run of “%(job)s” is in progress; nothing was done.", job="import"))
        return
    root = _courses_root()
    _committed(
        lambda: sync_tree(root, display_prefix=_display_prefix(root)), "import refused", "nothing imported"
    )
    _import_seminars()


def _import_seminars() -> None:
    """The programmes, after the courses they link (their own transaction: a broken programme
    keeps the courses just imported and imports no seminar at all)."""
    root = _seminars_root()
    if root is None or not root.is_dir():
        return
    _committed(
        lambda: import_folder(root, display_prefix=_display_prefix(root)),
        "seminars refused",
        "no seminar imported",
    )


def _committed(run: Callable[[], Any], refused: str, outcome: str) -> None:
    """Run an import and commit it, printing its report; on content errors print each one as
    `path:line:col`, roll everything back and exit 1."""
    try:
        report = run()
    except ContentError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{refused}: {len(error.problems)} error(s), {outcome}", err=True)
        sys.exit(1)
    db.session.commit()
    for line in report.warnings:
        click.echo(line, err=True)
    for line in report.lines():
        click.echo(line)


@lms_cli.command("rollups")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Recompute the rollups (region, cohort, module counts, quiz trouble) from scratch.",
)
def rollups_command(rebuild: bool) -> None:
    """Move enrolments whose status changed with the date (run daily from cron)."""
    if not jobs.claim("rollups"):
        click.echo(_("Another run of “%(job)s” is in progress; nothing was done.", job="rollups"))
        return
    moved = rollups.refresh_statuses()
    if rebuild:
        rollups.rebuild_stats()
        refresh_stuck_on_quiz()
    db.session.commit()
    click.echo(f"{moved} enrolment(s) changed status" + ("; rollups rebuilt" if rebuild else ""))


@lms_cli.command("cleanup")
def cleanup_command() -> None:
    """Delete what is kept only for a while (run daily from cron): sessions that ended more than
    SESSION_RETENTION_DAYS ago, login attempts that no longer count, audit events older than
    AUDIT_RETENTION_DAYS (0 keeps them all; a prune is itself recorded), and uploaded user files
    left unconfirmed for UNCONFIRMED_IMPORT_DAYS (they hold personal data)."""
    config = current_app.config
    sessions = delete_ended_sessions(timedelta(days=config["SESSION_RETENTION_DAYS"]))
    attempts = delete_old_failures(config["LOGIN_FAILURE_WINDOW"])
    events = prune_expired()
    imports = discard_stale_imports(timedelta(days=config["UNCONFIRMED_IMPORT_DAYS"]))
    db.session.commit()
    click.echo(_("Ended sessions deleted: %(count)d.", count=sessions))
    click.echo(_("Old login attempts deleted: %(count)d.", count=attempts))
    click.echo(_("Audit events deleted: %(count)d.", count=events))
    click.echo(_("Unconfirmed imports discarded: %(count)d.", count=imports))


@storage_cli.command("migrate")
@click.option("--remove-local", is_flag=True, help="Delete each local file once its copy is checked.")
def storage_migrate_command(remove_local: bool) -> None:
    """Copy the attachments of the local folder (UPLOAD_DIR) and the course assets (ASSET_DIR)
    into the configured object storage (STORAGE=s3). Idempotent: run it again and it copies only
    what is missing."""
    if current_app.config.get("STORAGE", "local") != "s3":
        raise click.ClickException("STORAGE is not s3: there is nowhere to migrate to")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    copied, present = storage.copy_missing(
        storage.local_attachments(app), storage.attachments(), remove_source=remove_local
    )
    # Course assets too (ASSET_DIR); a later `flask lms import` would also upload the missing ones.
    assets_copied, assets_present = storage.copy_missing(
        storage.local_assets(app), storage.assets(), remove_source=remove_local
    )
    click.echo(f"{copied} file(s) copied, {present} already there")
    click.echo(f"{assets_copied} course asset(s) copied, {assets_present} already there")


@lms_cli.command("demo")
def demo_command() -> None:
    """Create demo accounts once, printing their generated passwords; the demo instructor teaches
    every live course (so the review queue is full). Later runs change nothing else."""
    created = []
    for username, role, region, full_name in DEMO_ACCOUNTS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        # example.org never receives mail: a forgotten demo password is reset from the outbox page.
        user = create_user(
            username, password, role, region_code=region, full_name=full_name, email=f"{username}@example.org"
        )
        if role == "candidate":
            for course in live_courses():
                enrol(user, course)
        created.append((username, role, password))
    instructor = db.session.scalar(
        sa.select(User).where(User.username == "instructor", User.role == "instructor")
    )
    assigned = 0
    if instructor is not None and instructor.is_active_account:
        assigned = sum(add_instructor(course, instructor) for course in live_courses())
    db.session.commit()
    if assigned:
        click.echo(f"instructor now teaches {assigned} more course(s)")
    if not created:
        click.echo("Demo accounts already exist (their passwords were printed when created).")
        return
    click.echo("Demo accounts (shown once, not stored anywhere in clear):")
    for username, role, password in created:
        click.echo(f"  {role:<12} {username:<14} {password}")


@users_cli.command("set-region")
@click.argument("username")
@click.argument("region_code", metavar="REGION")
def set_region_command(username: str, region_code: str) -> None:
    """Move a user to region REGION ("none": national staff). A candidate's enrolments move along,
    so every dashboard counts them in their new region at once."""
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    code = None if region_code.lower() == "none" else region_code
    try:
        check_region(user.role, code)
    except ValidationError as error:
        raise click.ClickException(str(error.message)) from None
    previous = user.region_code
    # As the browser's edit does: the region change is announced (enrolments, counts and cohorts
    # follow) and recorded in the audit log.
    update_user(user, region_code=code)
    db.session.commit()
    click.echo(f"{user.username}: region {previous or 'none'} → {code or 'none'}")


def init_app(app: Flask, command_modules: list | None = None) -> None:
    """Add the `lms` and `users` groups; `command_modules` (each domain's cli.py, imported by the
    factory) have attached their commands to these groups on import."""
    app.cli.add_command(lms_cli)
    app.cli.add_command(users_cli)

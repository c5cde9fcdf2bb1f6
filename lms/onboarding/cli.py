"""`flask users import FILE`: the bulk import, with the browser's checks and messages."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
from flask_babel import gettext as _

from lms.accounts.permissions import is_user_manager
from lms.accounts.services import find_user
from lms.cli import users_cli
from lms.core.roles import Role
from lms.extensions import db
from lms.onboarding.messages import describe
from lms.onboarding.planning import Plan, build_plan
from lms.onboarding.reading import MAX_BYTES
from lms.onboarding.services import ImportRefused, apply_plan, record_import


@dataclass(frozen=True)
class SystemImport:
    """The actor of an import run from a terminal without --as: admin rights, nobody's account."""

    id: None = None
    username: str = "cli"
    role: Role = Role.ADMIN
    region_code: None = None
    is_active_account: bool = True


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--strict/--skip-bad-rows",
    default=True,
    help="Write nothing if any row has an error (the default), or write the good rows and skip the bad.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and print the problems; write nothing.")
@click.option(
    "--invite/--no-invite", default=True, help="Queue invitations to new users with an address (default: on)."
)
@click.option(
    "--as",
    "as_username",
    default=None,
    metavar="USERNAME",
    help="Check permissions as this admin or coordinator and record the import as theirs "
    "(default: a system import with admin rights).",
)
def import_users_command(
    file: Path, strict: bool, dry_run: bool, invite: bool, as_username: str | None
) -> None:
    """Create and update accounts from a CSV or XLSX file; prints `FILE:ROW: column: message` per
    problem and a summary. Exit status 1 when any row or the file was refused."""
    actor = SystemImport()
    if as_username:
        user = find_user(as_username)
        if user is None or not user.is_active_account or not is_user_manager(user):
            raise click.ClickException(f"{as_username!r} is not an active admin or coordinator.")
        actor = user
    with file.open("rb") as handle:
        content = handle.read(MAX_BYTES + 1)
    plan = build_plan(content, actor, invite=invite)
    for note in plan.notes:
        click.echo(f"{file}: {describe(note)}", err=True)
    if plan.refused is not None:
        click.echo(f"{file}: {describe(plan.refused)}", err=True)
        sys.exit(1)

    if dry_run:
        db.session.rollback()
        _report(file, plan)
        click.echo(_("Dry run: nothing was written."))
        sys.exit(1 if plan.counts()["error"] else 0)
    try:
        applied = apply_plan(plan, invite=invite, strict=strict)
    except ImportRefused:
        db.session.rollback()
        _report(file, plan)
        click.echo(_("Nothing was written: the import is strict and rows have errors."))
        sys.exit(1)
    record_import(applied, filename=file.name, strict=strict, actor=None if as_username is None else actor)
    db.session.commit()
    _report(file, plan)
    click.echo(_("Written; invitations queued: %(invited)s.", invited=applied.invited))
    sys.exit(1 if applied.counts["error"] else 0)


def _report(file: Path, plan: Plan) -> None:
    """One line per problem, then the counts."""
    for row in plan.rows:
        for issue in row.issues:
            column = plan.column(issue.field)
            where = f"{file}:{row.number}: {column}: " if column else f"{file}:{row.number}: "
            click.echo(where + describe(issue.problem), err=True)
    counts = plan.counts()
    click.echo(
        _(
            "New: %(new)s, to update: %(update)s, unchanged: %(unchanged)s, with errors: %(error)s.",
            new=counts["new"],
            update=counts["update"],
            unchanged=counts["unchanged"],
            error=counts["error"],
        )
    )

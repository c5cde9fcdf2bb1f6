"""`flask lms enroll CSV`: cohort enrolments from a file, kept with the CSV reader it wraps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lms.cli import lms_cli
from lms.extensions import db
from lms.progress.cohort_csv import enroll_from_csv


@lms_cli.command("enroll")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def enroll_command(csv_file: Path) -> None:
    """Enrol candidates into cohorts' courses from CSV: username,cohort,course[,due_on]. All or nothing."""
    try:
        text = csv_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        click.echo(f"{csv_file}:1: file is not valid UTF-8; save it as UTF-8", err=True)
        sys.exit(1)
    count, errors = enroll_from_csv(text)
    if errors:
        db.session.rollback()
        for error in errors:
            click.echo(f"{csv_file}:{error.line}: {error.message}", err=True)
        click.echo(f"nothing enrolled: {len(errors)} bad row(s)", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"enrolled {count} row(s)")

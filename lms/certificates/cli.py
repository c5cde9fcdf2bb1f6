"""`flask lms completions`: recompute every candidate's completion under the current rules."""

from __future__ import annotations

import click
from flask_babel import gettext as _

from lms.certificates.services import recompute_all
from lms.cli import lms_cli
from lms.core import jobs
from lms.extensions import db


@lms_cli.command("completions")
def completions_command() -> None:
    """Record completions and issue certificates the rules now grant; note those that lapsed.
    Idempotent: a second run issues nothing and takes nothing back."""
    if not jobs.claim("completions"):
        click.echo(_("Another run of “%(job)s” is in progress; nothing was done.", job="completions"))
        return
    result = recompute_all()
    db.session.commit()
    click.echo(
        _(
            "Enrolments checked: %(enrolments)s; completions recorded: %(completed)s; certificates issued:"
            " %(issued)s; no longer meeting the rule: %(lapsed)s; meeting it again: %(restored)s.",
            enrolments=result.enrolments,
            completed=result.completed,
            issued=result.issued,
            lapsed=result.lapsed,
            restored=result.restored,
        )
    )

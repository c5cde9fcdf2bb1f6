"""`flask lms publish-git`: commit to git the publications whose git commit failed after publish."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask_babel import gettext as _

from lms.authoring.history import Publication, commit_pending
from lms.cli import lms_cli
from lms.core.transactions import writing_command
from lms.extensions import db


@lms_cli.command("publish-git")
def publish_git_command() -> None:
    """Commit every publication still pending for git, oldest first (the next publish does it
    too). Safe to run at any time, twice at once included: each one is committed once."""
    with writing_command():  # SQLite: its transactions take the write lock, as a publish's do
        committed = commit_pending()
    left = db.session.scalar(
        sa.select(sa.func.count()).select_from(Publication).where(Publication.git_pending.is_(True))
    )
    click.echo(
        _("Publications committed to git: %(done)s; still pending: %(left)s.", done=committed, left=left)
    )
    if left:
        raise SystemExit(1)

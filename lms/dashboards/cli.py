"""`flask lms remind`: the daily notifications job (cron), see lms.dashboards.reminders."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask_babel import gettext as _

from lms.cli import lms_cli
from lms.core import jobs
from lms.core.transactions import writing_command
from lms.dashboards.reminders import remind
from lms.extensions import db
from lms.progress.rollups import school_today


@lms_cli.command("remind")
@click.option("--weekly", is_flag=True, help="Also send the coordinators' weekly summaries.")
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The school day to act for (default: today, Moscow time).",
)
def remind_command(weekly: bool, today) -> None:
    """Due-date notifications and one digest mail a day per user; weekly summaries on
    WEEKLY_SUMMARY_WEEKDAY or with --weekly. Safe to run twice: nothing is mailed twice."""
    day: date = today.date() if today else school_today()
    weekly = weekly or day.weekday() == current_app.config["WEEKLY_SUMMARY_WEEKDAY"]
    with writing_command():  # two runs at once take turns (SQLite) rather than fail
        jobs.claim("remind", wait=True)  # on PostgreSQL too: the second run finds nothing to send
        report = remind(day, weekly=weekly)
        db.session.commit()
    click.echo(
        _(
            "Due-date notifications: %(due)s; digests queued: %(sent)s, skipped: %(skipped)s; "
            "weekly summaries: %(weekly)s.",
            due=report.due_notifications,
            sent=report.digests.sent,
            skipped=report.digests.skipped,
            weekly=report.weekly,
        )
    )

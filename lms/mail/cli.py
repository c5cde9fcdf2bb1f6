"""`flask lms send-mail`: the outbox worker (cron or long-running)."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask_babel import gettext as _

from lms.cli import lms_cli
from lms.mail.sender import SECURITY_MODES, SendReport, deliver_due, mail_configured, waiting_count


def _summary(report: SendReport) -> str:
    return _(
        "Sent: %(sent)s, failed: %(failed)s, will retry later: %(retrying)s.",
        sent=report.sent,
        failed=report.failed,
        retrying=report.retrying,
    )


def _echo_errors(report: SendReport) -> None:
    for line in report.errors:
        click.echo(line, err=True)


@lms_cli.command("send-mail")
@click.option(
    "--loop", is_flag=True, help="Keep running, sending as mail is queued (stops on SIGTERM/SIGINT)."
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="With --loop: seconds between looks at the outbox.",
)
@click.option(
    "--batch", type=click.IntRange(1, 1000), default=50, show_default=True, help="Messages claimed at once."
)
def send_mail_command(loop: bool, interval: float, batch: int) -> None:
    """Send the outbox's due messages over SMTP (MAIL_SERVER); once, for cron, or with --loop."""
    if current_app.config["MAIL_SECURITY"] not in SECURITY_MODES:
        raise click.ClickException(f"MAIL_SECURITY must be one of {', '.join(SECURITY_MODES)}")
    if not mail_configured():
        click.echo(
            _(
                "MAIL_SERVER is not set: nothing is sent. Messages waiting: %(count)s; administrators "
                "see them, with their links, on the outbox page.",
                count=waiting_count(),
            )
        )
        return
    if not loop:
        report = deliver_due(batch)
        _echo_errors(report)
        click.echo(_summary(report))
        return

    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_args: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)
    }
    total = SendReport()
    try:
        while not stop.is_set():
            report = deliver_due(batch, should_stop=stop.is_set)
            _echo_errors(report)
            if report.sent or report.failed or report.retrying:
                click.echo(_summary(report))
            total.add(report)
            stop.wait(interval)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo(_("Stopped.") + " " + _summary(total))

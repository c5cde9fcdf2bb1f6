"""`flask users create|reset-password|deactivate|reactivate|invite`: one account at a time from a
terminal, with the browser's checks; kept with the account services they wrap (set-region, which
moves enrolments too, stays in lms.cli; the bulk import is onboarding's)."""

from __future__ import annotations

import click
from flask import current_app

from lms.accounts.services import (
    create_user,
    deactivate_user,
    find_user,
    reactivate_user,
    send_invitation,
    send_password_reset,
)
from lms.accounts.tokens import Purpose, set_password_link
from lms.audit.services import record
from lms.cli import users_cli
from lms.core.errors import ValidationError
from lms.extensions import db


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["candidate", "instructor", "coordinator", "admin"]))
@click.option("--region", "region_code", default=None, help="Region code, e.g. 77.")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--email", default=None, help="Email address (needed for invitations and resets).")
@click.option("--password", default=None, help="Prompted for when not given (unless --invite).")
@click.option("--invite", is_flag=True, help="No password: queue an invitation to the email address.")
def create_user_command(
    username: str,
    role: str,
    region_code: str | None,
    full_name: str,
    email: str | None,
    password: str | None,
    invite: bool,
) -> None:
    """Create a user account (the same checks and password rules as the browser)."""
    if invite and not email:
        raise click.ClickException("--invite needs --email")
    if password is None and not invite:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            username,
            None if invite else password,
            role,
            region_code=region_code,
            full_name=full_name,
            email=email,
        )
        if invite:
            send_invitation(user)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(
        f"created {user.role} {user.username}" + (f"; invitation queued to {user.email}" if invite else "")
    )


@users_cli.command("reset-password")
@click.argument("username")
def reset_password_command(username: str) -> None:
    """Print a one-time link that sets USERNAME's password (for an admin who has only a terminal)."""
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    if not user.is_active_account:
        raise click.ClickException(f"{user.username} is deactivated; reactivate the account first.")
    link = set_password_link(user, Purpose.RESET)
    record("password.link_issued", target=user, details={"via": "cli"})
    db.session.commit()
    minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60)
    click.echo(f"One-time link for {user.username}, valid for {minutes} minutes:")
    click.echo(link)


def _existing_user(username: str):
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    return user


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Deactivate USERNAME: their sessions end at once; all history stays (undo with reactivate)."""
    user = _existing_user(username)
    deactivate_user(user)
    db.session.commit()
    click.echo(f"{user.username}: deactivated")


@users_cli.command("reactivate")
@click.argument("username")
def reactivate_command(username: str) -> None:
    """Let a deactivated USERNAME sign in again."""
    user = _existing_user(username)
    reactivate_user(user)
    db.session.commit()
    click.echo(f"{user.username}: active")


@users_cli.command("invite")
@click.argument("username")
def invite_command(username: str) -> None:
    """Queue (again) a set-password link to USERNAME's email: an invitation, or a reset link for an
    account that has a password."""
    user = _existing_user(username)
    sent = send_password_reset(user) if user.has_password else send_invitation(user)
    if not sent:
        raise click.ClickException(f"{user.username} has no email address or is deactivated.")
    db.session.commit()
    click.echo(f"{user.username}: queued to {user.email}")

"""Accounts made and changed: one user, many invited ones at once (the bulk import), an edit by a
manager, deactivation and reactivation, and a user's own profile.

These are the operations that write a user's row; each is audited next to its change, so the
browser, the bulk import and the CLI leave the same records.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import UNUSABLE_PASSWORD_PREFIX, User, user_search_text
from lms.accounts.passwords import check_password_rules
from lms.accounts.sessions import end_user_sessions
from lms.accounts.signals import region_changed
from lms.accounts.validation import (
    USERNAME_RE,
    check_email,
    check_region,
    check_role,
    check_timezone,
    check_username,
    normalise_email,
    normalise_username,
    raise_email_problem,
)
from lms.audit.models import AuditEvent
from lms.audit.services import audit_row, record
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db

# Fields an account edit may change, in the order the audit record lists them.
EDITABLE_FIELDS = ("full_name", "email", "role", "region_code")


def create_user(
    username: str,
    password: str | None,
    role: Role | str,
    *,
    region_code: str | None = None,
    full_name: str = "",
    email: str | None = None,
    audit: bool = True,
) -> User:
    """Validate and add a user; raises ValidationError naming the offending field.

    `password=None` makes an invited account: it cannot sign in until a set-password link is used.
    """
    username = check_username(username)
    role = check_role(role)
    if password is not None:
        check_password_rules(password, username=username, email=email or "")
    check_region(role, region_code)
    email = check_email(email)
    user = User(
        username=username,
        role=role,
        region_code=region_code or None,
        full_name=(full_name or "").strip()[:200],
        email=email,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if audit:
        record("user.create", target=user, details={"role": role.value, "region": user.region_code})
    return user


@dataclass(frozen=True)
class NewAccount:
    """One invited account for `create_accounts` (no password: a set-password link sets it)."""

    username: str
    role: Role | str
    region_code: str | None
    full_name: str
    email: str | None


def taken_logins(usernames: list[str], emails: list[str]) -> tuple[set[str], set[str]]:
    """Which of these usernames and (lower-case) emails other accounts already have: two queries."""
    taken_names: set[str] = set()
    taken_emails: set[str] = set()
    for start in range(0, max(len(usernames), len(emails)), 900):  # SQLite's bound-parameter limit
        names, addresses = usernames[start : start + 900], emails[start : start + 900]
        if names:
            taken_names |= set(db.session.scalars(sa.select(User.username).where(User.username.in_(names))))
        if addresses:
            taken_emails |= set(db.session.scalars(sa.select(User.email).where(User.email.in_(addresses))))
    return taken_names, taken_emails


def create_accounts(accounts: list[NewAccount], *, actor: object = None) -> list[User]:
    """Add many invited accounts at once (the bulk import): one INSERT for the users and one for
    their audit records, instead of a flush and two lookups each.

    Every account is checked as `create_user` checks one; usernames and emails already taken, or
    repeated in `accounts`, raise ValidationError (the import's plan excludes them beforehand).
    """
    rows = []
    for account in accounts:
        username = normalise_username(account.username)
        if not USERNAME_RE.match(username):
            raise ValidationError(
                "username_invalid",
                _l("Username: 2-80 latin letters, digits, dots, dashes or underscores."),
                field="username",
            )
        role = check_role(account.role)
        check_region(role, account.region_code)
        email = normalise_email(account.email)
        if email is not None:
            raise_email_problem(email)
        full_name = (account.full_name or "").strip()[:200]
        rows.append(
            {
                "username": username,
                "role": role,
                "region_code": account.region_code or None,
                "full_name": full_name,
                "email": email,
                "password_hash": UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16),
                "search_text": user_search_text(full_name, username, email),
                "created_at": utcnow(),
            }
        )
    usernames = [row["username"] for row in rows]
    emails = [row["email"] for row in rows if row["email"]]
    taken_names, taken_emails = taken_logins(usernames, emails)
    if taken_names or len(set(usernames)) < len(usernames):
        raise ValidationError(
            "username_taken",
            _l("The username %(username)s is taken.", username=", ".join(sorted(taken_names)[:5])),
            field="username",
        )
    if taken_emails or len(set(emails)) < len(emails):
        raise ValidationError("email_taken", _l("Another account uses this email address."), field="email")
    if not rows:
        return []
    users = list(db.session.scalars(sa.insert(User).returning(User), rows))
    audit_rows = [
        audit_row(
            "user.create",
            target=user,
            actor=actor,
            details={"role": user.role.value, "region": user.region_code},
        )
        for user in users
    ]
    db.session.execute(sa.insert(AuditEvent), audit_rows)
    return users


def update_user(user: User, **changes: object) -> dict[str, tuple[object, object]]:
    """Apply field changes (full_name, email, role, region_code); returns {field: (old, new)}.

    A region change is announced (`signals.region_changed`): progress moves the candidate's
    enrolments and the dashboards' counts along in the same transaction.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    role = check_role(changes.get("role", user.role))
    region_code = changes.get("region_code", user.region_code) or None
    check_region(role, region_code)
    new = {
        "full_name": str(changes.get("full_name", user.full_name) or "").strip()[:200],
        "email": check_email(changes["email"], exclude_id=user.id) if "email" in changes else user.email,
        "role": role,
        "region_code": region_code,
    }
    changed = {
        name: (getattr(user, name), value) for name, value in new.items() if getattr(user, name) != value
    }
    for name, (_old, value) in changed.items():
        setattr(user, name, value)
    db.session.flush()
    if "region_code" in changed:
        region_changed.send(user, previous=changed["region_code"][0])
    if changed:
        record(
            "user.update",
            target=user,
            details={name: [_plain(old), _plain(value)] for name, (old, value) in changed.items()},
        )
    return changed


def _plain(value: object) -> object:
    return value.value if isinstance(value, Role) else value


def deactivate_user(user: User) -> None:
    """Deactivation ends every session of the user at once; all history stays."""
    if not user.is_active_account:
        return
    user.is_active_account = False
    user.deactivated_at = utcnow()
    ended = end_user_sessions(user)
    db.session.flush()
    record("user.deactivate", target=user, details={"sessions_ended": ended})


def reactivate_user(user: User) -> None:
    if user.is_active_account:
        return
    user.is_active_account = True
    user.deactivated_at = None
    db.session.flush()
    record("user.reactivate", target=user)


def update_profile(
    user: User,
    *,
    full_name: str,
    email: str | None,
    locale: str | None,
    timezone: str | None,
    low_vision: bool | None = None,
    email_notifications: bool | None = None,
) -> None:
    """A user's own profile: name, address, language, time zone and (if given) the low-vision
    version and whether notifications are mailed."""
    languages = current_app.config["LANGUAGES"]
    if locale and locale not in languages:
        raise ValidationError("unknown_locale", _l("Unknown language."), field="locale")
    timezone = check_timezone(timezone)
    update_user(user, full_name=full_name, email=email)
    user.locale = locale or None
    user.timezone = timezone
    if low_vision is not None:
        user.low_vision = low_vision
    if email_notifications is not None:
        user.email_notifications = email_notifications
    db.session.flush()

"""Account operations. They flush, never commit: the caller owns the transaction.

Every change a person makes to an account is audited here, next to the change, so the browser,
the bulk import and the CLI leave the same records.
"""

from __future__ import annotations

import csv
import functools
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import UNUSABLE_PASSWORD_PREFIX, Region, User, user_search_text
from lms.accounts.passwords import check_password_rules
from lms.accounts.sessions import end_user_sessions
from lms.accounts.signals import region_changed
from lms.accounts.tokens import Purpose, set_password_link
from lms.audit.models import AuditEvent
from lms.audit.services import audit_row, record
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.mail.services import enqueue

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.csv"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
# Deliberately plain: one @, something before it, a dotted domain after it, no spaces or brackets.
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")
# The zones a Russian school needs (Kaliningrad to Kamchatka), plus UTC; any IANA zone is accepted.
RUSSIAN_TIMEZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)
# Fields an account edit may change, in the order the audit record lists them.
EDITABLE_FIELDS = ("full_name", "email", "role", "region_code")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def normalise_email(email: str | None) -> str | None:
    """Addresses are stored trimmed and lower-cased (their uniqueness ignores case); '' is none."""
    email = (email or "").strip().lower()
    return email or None


def seed_regions(path: Path = REGIONS_FILE) -> int:
    """Insert or update regions from the data file; returns how many rows were new."""
    existing = {region.code: region for region in db.session.scalars(sa.select(Region))}
    added = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            region = existing.get(row["code"])
            if region is None:
                region = Region(code=row["code"])
                db.session.add(region)
                added += 1
            region.name_ru = row["name_ru"]
            region.name_en = row["name_en"]
            region.federal_district = row["federal_district"]
    db.session.flush()
    return added


def regions_query() -> sa.Select:
    """Every region in code order: the one query behind every region list, filter and choice."""
    return sa.select(Region).order_by(Region.code)


class RegionName(NamedTuple):
    """A region as a page names it (code and names), read without loading the model."""

    code: str
    name_ru: str
    name_en: str

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ru


_REGION_NAME = sa.select(Region.code, Region.name_ru, Region.name_en).where(
    Region.code == sa.bindparam("code")
)


def region_name(code: str) -> RegionName | None:
    """The region with this code, or None: one plain row for pages that only show its name."""
    row = db.session.connection().execute(_REGION_NAME, {"code": code}).first()
    return None if row is None else RegionName(*row)


def check_region(role: Role | str, region_code: str | None) -> None:
    """A known region code, or none for staff (a coordinator without one is national)."""
    if region_code:
        if db.session.get(Region, region_code) is None:
            raise ValidationError(
                "unknown_region", _l("Unknown region code %(code)s.", code=region_code), field="region"
            )
    elif role == Role.CANDIDATE:
        raise ValidationError("region_needed", _l("A candidate needs a region."), field="region")


def check_username(username: str, *, exclude_id: int | None = None) -> str:
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "username_invalid",
            _l("Username: 2-80 latin letters, digits, dots, dashes or underscores."),
            field="username",
        )
    query = sa.select(User.id).where(User.username == username)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationError(
            "username_taken", _l("The username %(username)s is taken.", username=username), field="username"
        )
    return username


def check_email(email: str | None, *, exclude_id: int | None = None) -> str | None:
    """The normalised address, if well-formed and not another account's."""
    email = normalise_email(email)
    if email is None:
        return None
    if len(email) > 200 or not EMAIL_RE.match(email):
        raise ValidationError("email_invalid", _l("This is not an email address."), field="email")
    query = sa.select(User.id).where(User.email == email)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationError("email_taken", _l("Another account uses this email address."), field="email")
    return email


def check_timezone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError("unknown_timezone", _l("Unknown time zone."), field="timezone") from None
    return name


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError("unknown_role", _l("Unknown role %(role)s.", role=role), field="role") from None


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
    role = _role(role)
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
        role = _role(account.role)
        check_region(role, account.region_code)
        email = normalise_email(account.email)
        if email is not None and (len(email) > 200 or not EMAIL_RE.match(email)):
            raise ValidationError("email_invalid", _l("This is not an email address."), field="email")
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
    role = _role(changes.get("role", user.role))
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


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def find_user_by_login(identifier: str) -> User | None:
    """The account a username or an email address names (the forgotten-password form takes either)."""
    identifier = identifier.strip().lower()
    if not identifier:
        return None
    column = User.email if "@" in identifier else User.username
    return db.session.scalar(sa.select(User).where(column == identifier))


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (callers show one generic message)."""
    user = find_user(username)
    if user is None or not user.has_password:
        # Spend the same time as a real check so timing does not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active_account:
        return None
    return user


@functools.cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


# --- Passwords: invitations, resets, changes ----------------------------------------------------


def _mail_link(user: User, kind: str, purpose: Purpose, **context: object) -> bool:
    """Queue mail `kind` carrying a set-password link to an active user with an address."""
    if not user.email or not user.is_active_account:
        return False
    enqueue(
        kind,
        to_address=user.email,
        to_name=user.display_name,
        locale=user.locale,
        user_id=user.id,
        context={"user": user, "link": set_password_link(user, purpose), **context},
    )
    return True


def send_invitation(user: User, *, audit: bool = True) -> bool:
    """Queue a set-password link to the user's email; False when there is no address to send to."""
    days = current_app.config["INVITATION_MAX_AGE"].days
    if not _mail_link(user, "invitation", Purpose.INVITATION, valid_days=days):
        return False
    user.invited_at = utcnow()
    if audit:
        record("user.invite", target=user)
    return True


def request_password_reset(identifier: str) -> bool:
    """Queue a reset link for the account a username or email names, if any and if allowed.

    The caller answers the same whatever this returns: nobody learns whether an account exists.
    At most RESET_MAILS_PER_HOUR links per account per hour (a mail bomb stays small).
    """
    user = find_user_by_login(identifier)
    if user is None or not user.email or not user.is_active_account:
        return False
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.user_id == user.id,
            OutboxMessage.kind == "password_reset",
            OutboxMessage.created_at >= since,
        )
    )
    if recent >= current_app.config["RESET_MAILS_PER_HOUR"]:
        return False
    return send_password_reset(user, actor=user)


def send_password_reset(user: User, *, actor: User | None = None) -> bool:
    """Queue a reset link to the user's email (the user asked, or a manager sent it for them)."""
    minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60)
    if not _mail_link(user, "password_reset", Purpose.RESET, valid_minutes=minutes):
        return False
    record("password.reset_requested", target=user, actor=actor)
    return True


def issue_set_password_link(user: User) -> str:
    """A set-password link for a manager to hand over (a user without email): invitation if the
    account has no password yet, reset otherwise. Audited; the link itself is never stored."""
    purpose = Purpose.RESET if user.has_password else Purpose.INVITATION
    record("password.link_issued", target=user, details={"purpose": purpose.value})
    return set_password_link(user, purpose)


def set_new_password(user: User, password: str, *, keep_token: str | None = None, action: str) -> int:
    """Set a password that passes the rules and end the user's other sessions; returns how many ended.

    `action` names the audit record: password.change, password.reset, password.set (invitation).
    """
    check_password_rules(password, username=user.username, email=user.email or "")
    user.set_password(password)
    ended = end_user_sessions(user, keep_token=keep_token)
    db.session.flush()
    record(action, target=user, details={"sessions_ended": ended})
    return ended


def change_own_password(user: User, current_password: str, new_password: str) -> int:
    """The profile's "change password": the current one first; other sessions end."""
    if not user.check_password(current_password):
        raise ValidationError(
            "wrong_password", _l("The current password is wrong."), field="current_password"
        )
    if current_password == new_password:
        raise ValidationError(
            "same_password", _l("Choose a password different from the current one."), field="password"
        )
    return set_new_password(
        user, new_password, keep_token=user.current_session_token, action="password.change"
    )


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

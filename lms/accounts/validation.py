"""The rules an account's fields pass (username, email, role, region, time zone).

One place for them because creating one account, the bulk import, an edit and the profile all
check the same fields the same way; each check raises ValidationError naming the field.
"""

from __future__ import annotations

import re
import zoneinfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region, User
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.extensions import db

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


def normalise_username(username: str) -> str:
    return username.strip().lower()


def normalise_email(email: str | None) -> str | None:
    """Addresses are stored trimmed and lower-cased (their uniqueness ignores case); '' is none."""
    email = (email or "").strip().lower()
    return email or None


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


def check_role(role: Role | str) -> Role:
    """The Role a value names (a Role or its string value)."""
    try:
        return Role(role)
    except ValueError:
        raise ValidationError("unknown_role", _l("Unknown role %(role)s.", role=role), field="role") from None

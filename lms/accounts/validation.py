"""The rules an account's fields pass (username, email, role, region, time zone).

One place for them because creating one account, the bulk import, an edit and the profile all
check the same fields the same way; each check raises ValidationError naming the field.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region, User
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.extensions import db

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
# Deliberately plain: one @, dot-separated parts before it, a dotted domain after it, no spaces or
# brackets, no empty part (".a@", "a..b@", "a@x.ru." reach nobody). A part holds no dot, so the
# pattern cannot backtrack over where one part ends.
_EMAIL_PART = r'[^@\s<>()\[\],;:".]+'
_DOTTED = rf"{_EMAIL_PART}(?:\.{_EMAIL_PART})*"
EMAIL_RE = re.compile(rf"^{_DOTTED}@{_DOTTED}\.{_EMAIL_PART[:-1]}{{2,}}$")
MAX_EMAIL = 200
_LATIN = re.compile("[a-z]")
_CYRILLIC = re.compile("[а-яё]")  # addresses are compared lower-cased
_EMAIL_PARTS = re.compile(r"[@.]")
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
    """Addresses are stored trimmed and lower-cased (their uniqueness ignores case); '' is none.

    NFKC first: full-width letters typed in an East Asian layout (ｉｖａｎ@) are the same address."""
    email = unicodedata.normalize("NFKC", email or "").strip().lower()
    return email or None


def email_problem(email: str) -> str | None:
    """Why a normalised address is refused ("email_invalid", "email_mixed_scripts"), or None."""
    if len(email) > MAX_EMAIL or not EMAIL_RE.match(email):
        return "email_invalid"
    if mixes_scripts(email):
        return "email_mixed_scripts"
    return None


def mixes_scripts(email: str) -> bool:
    """A part of the address with both Latin and Cyrillic letters: a keyboard layout slip ("ivаn"
    with a Russian "а") that reaches nobody and would not match the person's account."""
    return any(_LATIN.search(part) and _CYRILLIC.search(part) for part in _EMAIL_PARTS.split(email))


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
    raise_email_problem(email)
    query = sa.select(User.id).where(User.email == email)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationError("email_taken", _l("Another account uses this email address."), field="email")
    return email


def raise_email_problem(email: str) -> None:
    """A normalised address's problem as a ValidationError on the email field."""
    problem = email_problem(email)
    if problem == "email_invalid":
        raise ValidationError(problem, _l("This is not an email address."), field="email")
    if problem == "email_mixed_scripts":
        message = _l(
            "The address mixes Latin and Cyrillic letters that look alike. Type it again with one "
            "keyboard layout."
        )
        raise ValidationError(problem, message, field="email")


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

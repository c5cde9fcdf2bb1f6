"""Password rules, the same for the browser and the CLI: a minimum length and no common password."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from lms.core.errors import ValidationError

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
DEFAULT_MIN_LENGTH = 10
MAX_LENGTH = 200


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 20,000 most common passwords (Django's list; see data/COMMON-PASSWORDS-LICENSE)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def min_length() -> int:
    return (
        current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH)
        if has_app_context()
        else DEFAULT_MIN_LENGTH
    )


def check_password_rules(password: str, *, username: str = "", email: str = "") -> None:
    """Raise ValidationError(code, ..., field="password") when a password breaks the rules."""
    if len(password) < min_length():
        raise ValidationError(
            "too_short",
            lazy_ngettext(
                "Use at least %(num)s character.", "Use at least %(num)s characters.", min_length()
            ),
            field="password",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            "too_long",
            lazy_ngettext("Use at most %(num)s character.", "Use at most %(num)s characters.", MAX_LENGTH),
            field="password",
        )
    folded = password.strip().lower()
    if folded in common_passwords() or len(set(folded)) < 3:
        raise ValidationError(
            "too_common", _l("This password is too common; choose another."), field="password"
        )
    for own in (username, email.split("@", 1)[0] if email else ""):
        if own and len(own) >= 4 and own.lower() in folded:
            raise ValidationError(
                "contains_name",
                _l("The password must not contain your username or email."),
                field="password",
            )

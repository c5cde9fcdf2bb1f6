"""Account operations. They flush, never commit: the caller owns the transaction.

Every change a person makes to an account is audited next to the change, so the browser, the bulk
import and the CLI leave the same records.

This module is the package's one entry point for other domains: it re-exports the operations of
`users.py` (create, bulk-create, edit, deactivate, the own profile), `credentials.py` (find an
account by its login, sign-in's password check, set or change a password), `password_links.py`
(invitations and resets, mailed or handed over), `validation.py` (the rules an account's fields
pass) and `regions.py` (the region list and names).
"""

from __future__ import annotations

from lms.accounts.credentials import (
    authenticate,
    change_own_password,
    find_user,
    find_user_by_login,
    set_new_password,
)
from lms.accounts.password_links import (
    issue_set_password_link,
    request_password_reset,
    send_invitation,
    send_password_reset,
)
from lms.accounts.regions import REGIONS_FILE, RegionName, region_name, regions_query, seed_regions
from lms.accounts.users import (
    EDITABLE_FIELDS,
    NewAccount,
    create_accounts,
    create_user,
    deactivate_user,
    reactivate_user,
    taken_logins,
    update_profile,
    update_user,
)
from lms.accounts.validation import (
    RUSSIAN_TIMEZONES,
    USERNAME_RE,
    check_email,
    check_region,
    check_timezone,
    check_username,
    email_problem,
    normalise_email,
    normalise_username,
)

__all__ = [
    "EDITABLE_FIELDS",
    "REGIONS_FILE",
    "RUSSIAN_TIMEZONES",
    "USERNAME_RE",
    "NewAccount",
    "RegionName",
    "authenticate",
    "change_own_password",
    "check_email",
    "check_region",
    "check_timezone",
    "check_username",
    "create_accounts",
    "create_user",
    "deactivate_user",
    "email_problem",
    "find_user",
    "find_user_by_login",
    "issue_set_password_link",
    "normalise_email",
    "normalise_username",
    "reactivate_user",
    "region_name",
    "regions_query",
    "request_password_reset",
    "seed_regions",
    "send_invitation",
    "send_password_reset",
    "set_new_password",
    "taken_logins",
    "update_profile",
    "update_user",
]

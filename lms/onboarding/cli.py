"""`flask users import FILE`: the bulk import, with the browser's checks and messages."""

from __future__ import annotations

from lms.cli import users_cli  # noqa: F401  (commands attach to the `users` group)

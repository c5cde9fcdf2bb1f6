"""`flask lms send-mail`: the outbox worker (cron or long-running)."""

from __future__ import annotations

from lms.cli import lms_cli  # noqa: F401  (commands attach to the `lms` group)

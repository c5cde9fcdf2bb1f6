"""Publication history (auth-history's module). Until it lands, a stub that records nothing."""

from __future__ import annotations

from typing import Any

from lms.accounts.models import User


def record_publish(user: User, course_dir: str, files: dict[str, tuple[str | None, str]]) -> Any:
    """Record one publish: `files` is {rel: (old text or None, new text)}. The stub keeps nothing."""
    return None

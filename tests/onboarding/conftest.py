"""Fixtures of the bulk import tests; the files themselves are built by tests/onboarding/files.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(make_user):
    return make_user("boss", role="admin")

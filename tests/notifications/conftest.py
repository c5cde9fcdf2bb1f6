"""The mail tests' SMTP server, for the daily job's digests."""

from tests.mail.conftest import smtp  # noqa: F401  (a fixture: pytest finds it by name here)

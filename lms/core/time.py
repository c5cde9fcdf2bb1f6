"""UTC-aware timestamps everywhere; the database stores them as UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; treat them as the UTC they were stored as."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)

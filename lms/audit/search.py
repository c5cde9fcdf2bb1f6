"""Reading the audit log: filters, keyset pages and the export's rows, fast on millions of events.

Every filter is an equality or a time range that one index serves in time order: action, actor,
target label and address each have an (x, at) index, dates alone use (at). Pages are keyset
pages on (at, id): "older" continues below the last event shown, "newer" above the first, so a
page deep in the log costs what the first one does and no total is ever counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import to_utc
from werkzeug.datastructures import MultiDict

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db

PAGE_SIZE = 50
# The CSV holds at most this many events, newest first: enough for any question an admin asks of
# a filtered log, small enough to build in memory in a request.
EXPORT_LIMIT = 100_000
LIMITS = {"action": 60, "actor": 80, "target": 300, "address": 64}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class AuditFilters:
    action: str = ""
    actor: str = ""
    target: str = ""
    address: str = ""
    date_from: date | None = None
    date_to: date | None = None
    # Values given but unusable, by field name (a date that is not one), for the page to say so.
    problems: set[str] = field(default_factory=set)

    @classmethod
    def from_args(cls, args: MultiDict) -> AuditFilters:
        texts = {name: args.get(name, "").strip()[:limit] for name, limit in LIMITS.items()}
        filters = cls(**texts)
        for name in ("date_from", "date_to"):
            raw = args.get(name, "").strip()
            value = _date(raw)
            setattr(filters, name, value)
            if raw and value is None:
                filters.problems.add(name)
        return filters

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments, for links that keep them (pages, the export)."""
        values = {
            "action": self.action,
            "actor": self.actor,
            "target": self.target,
            "address": self.address,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def _utc_midnight(day: date) -> datetime:
    """The start of `day` in the reader's time zone, as the UTC instant the database compares.

    UTC-aware: SQLite stores the wall time of whatever zone a value carries.
    """
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


def actor_id(username: str) -> int | None:
    return db.session.scalar(sa.select(User.id).where(User.username == username.strip().lower()))


def filtered(filters: AuditFilters) -> sa.Select | None:
    """The events the filters select, unordered; None when they cannot match (an unknown actor)."""
    matches: list[sa.ColumnElement[bool]] = []  # equalities, each with its own (column, at) index
    if filters.action:
        matches.append(AuditEvent.action == filters.action)
    if filters.actor:
        found = actor_id(filters.actor)
        if found is None:
            return None
        matches.append(AuditEvent.actor_id == found)
    if filters.target:
        # The label as recorded: a username (stored lower-case), a cohort name, a region code.
        lowered = filters.target.lower()
        if lowered == filters.target:
            matches.append(AuditEvent.target_label == lowered)
        else:
            matches.append(AuditEvent.target_label.in_((filters.target, lowered)))
    if filters.address:
        matches.append(AuditEvent.address == filters.address)
    period: list[sa.ColumnElement[bool]] = []
    if filters.date_from:
        period.append(AuditEvent.at >= _utc_midnight(filters.date_from))
    if filters.date_to:
        period.append(AuditEvent.at < _utc_midnight(filters.date_to + timedelta(days=1)))
    if len(matches) > 1 and db.session.get_bind().dialect.name == "sqlite":
        matches = _narrowest_first(matches, period)
    return sa.select(AuditEvent).where(*matches, *period)


# How many index entries a probe reads at most to compare two filters' sizes.
PROBE_LIMIT = 1000


def _narrowest_first(matches: list, period: list) -> list:
    """Point SQLite's planner at the filter that matches fewest events.

    Without statistics (nothing runs ANALYZE) SQLite rates every equality alike and may walk the
    busiest instructor's 60,000 events to find the three from one address. A probe reads at most
    PROBE_LIMIT entries of each filter's own (column, at) index; the other filters are wrapped in
    likely(), which SQLite (3.40) then checks on the rows found rather than searches by, so the
    narrowest filter's index drives the query. PostgreSQL keeps statistics and needs no hint.
    """
    sizes = [
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(sa.literal(1)).where(match, *period).limit(PROBE_LIMIT).subquery()
            )
        )
        for match in matches
    ]
    narrowest = sizes.index(min(sizes))
    return [match if index == narrowest else sa.func.likely(match) for index, match in enumerate(matches)]


NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())


@dataclass
class LogPage:
    events: list[AuditEvent]
    newer: int | None = None  # ?after= for the page above, None on the first page
    older: int | None = None  # ?before= for the page below, None on the last page
    unknown_actor: bool = False


def log_page(
    filters: AuditFilters, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE
) -> LogPage:
    """One page of events, newest first: the first page, or the one below `before` / above `after`."""
    query = filtered(filters)
    if query is None:
        return LogPage([], unknown_actor=True)
    cursor_id = before or after
    cursor_at = (
        db.session.scalar(sa.select(AuditEvent.at).where(AuditEvent.id == cursor_id)) if cursor_id else None
    )
    if cursor_at is None:  # no cursor, or its event was pruned meanwhile: start from the newest
        events = list(db.session.scalars(query.order_by(*NEWEST_FIRST).limit(size + 1)))
        return LogPage(events[:size], older=events[size - 1].id if len(events) > size else None)
    # `at <= x` is what an (…, at) index can range over; the OR only breaks ties inside one instant.
    if before:
        query = query.where(
            AuditEvent.at <= cursor_at, sa.or_(AuditEvent.at < cursor_at, AuditEvent.id < cursor_id)
        )
        events = list(db.session.scalars(query.order_by(*NEWEST_FIRST).limit(size + 1)))
        return LogPage(
            events[:size],
            newer=events[0].id if events else None,
            older=events[size - 1].id if len(events) > size else None,
        )
    query = query.where(
        AuditEvent.at >= cursor_at, sa.or_(AuditEvent.at > cursor_at, AuditEvent.id > cursor_id)
    )
    events = list(db.session.scalars(query.order_by(AuditEvent.at, AuditEvent.id).limit(size + 1)))
    shown = events[:size][::-1]
    return LogPage(
        shown, newer=shown[0].id if len(events) > size else None, older=shown[-1].id if shown else None
    )


EXPORT_COLUMNS = (
    AuditEvent.id,
    AuditEvent.at,
    AuditEvent.actor_name,
    AuditEvent.action,
    AuditEvent.target_type,
    AuditEvent.target_id,
    AuditEvent.target_label,
    AuditEvent.address,
    AuditEvent.details,
)


def export_rows(filters: AuditFilters, limit: int = EXPORT_LIMIT) -> Iterator[sa.Row]:
    """The filtered events for the CSV, newest first, streamed in batches."""
    query = filtered(filters)
    if query is None:
        return iter(())
    query = query.with_only_columns(*EXPORT_COLUMNS).order_by(*NEWEST_FIRST).limit(limit)
    return iter(db.session.execute(query.execution_options(yield_per=2000)))

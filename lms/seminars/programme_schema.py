"""What a programme file may hold and the data it becomes, kept apart from its reader (programme.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from lms.content.schema import (
    TITLE_LENGTH,
    Field,
    Invalid,
    at_most,
    identifier,
    integer,
    opening_date,
    required_text,
    text,
)

RELATIONS = ("prepare", "follow_up", "survey")
SESSION_KEYS = ("key", "time", "title", "room", "online_url", "speakers", "topics", "description", *RELATIONS)
DAY_KEYS = ("date", "sessions")
LINK_KEYS = ("course", "module", "item", "due")
SPEAKER_KEYS = ("name", "role")
INVITE_KEYS = ("regions", "cohorts")
TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")
REGION_PATTERN = re.compile(r"^\d{2,3}$")
DEFAULT_TIMEZONE = "Europe/Moscow"
# What the seminars' and sessions' columns hold (lms.seminars.models): a longer text made PostgreSQL
# refuse the import with a traceback, where SQLite kept it whole.
VENUE_LENGTH = TITLE_LENGTH
ROOM_LENGTH = 200
URL_LENGTH = 500
TIMEZONE_LENGTH = 64


def web_address(key: str, node: yaml.Node, value: Any) -> str:
    """An http(s) address (an online room, a broadcast)."""
    result = text(key, node, value)
    parts = urlsplit(result)
    if result and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise Invalid("E901", f"'{key}' must be a web address starting with https:// or http://", node)
    return result


def time_zone(key: str, node: yaml.Node, value: Any) -> str:
    """An IANA time zone name such as Europe/Moscow or Asia/Novosibirsk."""
    result = required_text(key, node, value)
    try:
        ZoneInfo(result)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            "E902", f"unknown time zone {result!r}: use a name such as Europe/Moscow", node
        ) from None
    return result


def _nodes(key: str, node: yaml.Node, value: Any) -> yaml.Node:
    """Keep the node: days and invitations are checked entry by entry below."""
    return node


SEMINAR_FIELDS: dict[str, Field] = {
    "key": Field(identifier, required=True),
    "title": Field(at_most(TITLE_LENGTH, required_text), required=True),
    "starts_on": Field(opening_date, required=True),
    "ends_on": Field(opening_date, required=True),
    "venue": Field(at_most(VENUE_LENGTH, text)),
    "online_url": Field(at_most(URL_LENGTH, web_address)),
    "timezone": Field(at_most(TIMEZONE_LENGTH, time_zone)),
    # Attendance counts toward completing the seminar: the share of sessions to attend (0-100).
    "attendance_required_percent": Field(integer(0, 100)),
    "invite": Field(_nodes),
    "days": Field(_nodes, required=True),
}


@dataclass
class Where:
    """A spot in the file, so a problem found later (a missing course) points at its line."""

    line: int
    col: int


@dataclass
class LinkSource:
    relation: str
    course: str
    module: str | None
    item: str | None
    due_days: int
    where: Where  # the entry; `at` has the spot of each of its values
    at: dict[str, Where] = field(default_factory=dict)


@dataclass
class SessionSource:
    key: str
    day: int
    position: int
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str = ""
    online_url: str | None = None
    topics: list[str] = field(default_factory=list)
    speakers: list[dict[str, str]] = field(default_factory=list)
    description_md: str = ""
    description_html: str = ""
    links: list[LinkSource] = field(default_factory=list)
    where: Where = field(default_factory=lambda: Where(1, 1))


@dataclass
class ProgrammeSource:
    """One programme file, checked on its own (not yet against courses or cohorts)."""

    key: str
    title: str
    starts_on: date
    ends_on: date
    venue: str
    online_url: str | None
    timezone: str
    summary_md: str
    summary_html: str
    rel_path: str
    source_hash: str
    regions: list[tuple[str, Where]] = field(default_factory=list)
    cohorts: list[tuple[str, Where]] = field(default_factory=list)
    attendance_required_percent: int | None = None
    sessions: list[SessionSource] = field(default_factory=list)

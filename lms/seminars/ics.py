"""The programme as an iCalendar file (RFC 5545), for any calendar app on a phone or a desktop.

Times are written in UTC (`...Z`), which every client shows in its own zone, so the file needs no
VTIMEZONE. Each session's UID is made of the seminar's and the session's keys, so importing the
file again updates the events instead of adding copies. Text is escaped (backslash, `;`, `,`,
newlines), lines end with CRLF and are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

LINE_LIMIT = 75  # octets, without the CRLF
CRLF = "\r\n"


@dataclass(frozen=True)
class Event:
    """One session as the calendar needs it (plain data: the view fills it)."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""


def escape(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11): backslash first, then `;` `,` and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, each continuation starting with a
    space (RFC 5545 3.1), never inside a multi-octet UTF-8 character."""
    pieces: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = LINE_LIMIT if not pieces else LINE_LIMIT - 1  # the leading space counts
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def utc_stamp(moment: datetime) -> str:
    """`20270413T070000Z`."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[Event], *, stamp: datetime, product: str) -> bytes:
    """The whole VCALENDAR as UTF-8 bytes with CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape(product)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{utc_stamp(stamp)}",
            f"DTSTART:{utc_stamp(event.starts_at)}",
            f"DTEND:{utc_stamp(event.ends_at)}",
            f"SUMMARY:{escape(event.summary)}",
        ]
        if event.location:
            lines.append(f"LOCATION:{escape(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines).encode("utf-8")


def filename(key: str, day: date | None = None) -> str:
    """`vybory-2027.ics`."""
    return f"{key}.ics" if day is None else f"{key}-{day.isoformat()}.ics"

"""Read a seminar's programme file (`seminars/<key>.md`) into plain data, with problems.

Flask-free and database-free like the course loader (lms.content.loader), and built on the same
pieces: the front matter reader with its line mapping (lms.content.frontmatter), the value checks
(lms.content.schema), the one Markdown pipeline (lms.content.render) and `path:line:col` problems
(lms.content.problems). Whether linked courses and items exist is checked separately against a
`Catalogue` (the course tree for `flask lms check`, the database for the import).

Problem codes: E9xx errors, W9xx warnings (docs/seminars.md lists them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from lms.content.frontmatter import FRONT_MATTER_LINE, SourceFile, check_fields, read_source
from lms.content.loader import CourseSource
from lms.content.problems import Problem
from lms.content.render import render_markdown
from lms.content.schema import (
    Field,
    Invalid,
    constructed,
    identifier,
    integer,
    known_keys,
    mapping_entries,
    opening_date,
    required_text,
    sequence,
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
    "title": Field(required_text, required=True),
    "starts_on": Field(opening_date, required=True),
    "ends_on": Field(opening_date, required=True),
    "venue": Field(text),
    "online_url": Field(web_address),
    "timezone": Field(time_zone),
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


@dataclass(frozen=True)
class CourseRef:
    """What a programme may link in one course: its module ids and its items' ids with kinds,
    the items of each module."""

    key: str
    modules: frozenset[str]
    items: dict[str, str]  # item id -> kind
    module_items: dict[str, frozenset[str]]


class Catalogue(Protocol):
    """Looks courses up by key (the course tree or the database)."""

    def course(self, key: str) -> CourseRef | None: ...


class _Reader:
    """Collects the problems of one file while reading its days and sessions."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source

    def at(self, node: yaml.Node) -> Where:
        mark = node.start_mark
        return Where(mark.line + FRONT_MATTER_LINE, mark.column + 1)

    def checked(self, check: Callable[[], Any]) -> Any:
        """Run one check; an Invalid becomes a problem and the value None."""
        try:
            return check()
        except Invalid as exc:
            self.source.add_at(exc.node, exc.code, exc.message)
            return None


def read_programme(path: Path, rel_path: str, display: str) -> tuple[ProgrammeSource | None, list[Problem]]:
    """Parse one programme file; the programme is None when it has errors."""
    source = read_source(path, rel_path, display)
    if not source.parsed:
        return None, source.problems
    values = check_fields(source, SEMINAR_FIELDS)
    reader = _Reader(source)
    tz_name = values.get("timezone") or DEFAULT_TIMEZONE
    zone = ZoneInfo(tz_name)
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        source.add_at(source.nodes["ends_on"][1], "E903", "'ends_on' is before 'starts_on'")
        ends_on = None
    expected = Path(rel_path).stem
    if values.get("key") and values["key"] != expected:
        source.add_at(
            source.nodes["key"][1],
            "E904",
            f"key {values['key']!r} differs from the file name: name it {expected}",
        )
    regions, cohorts = _invites(reader, source.nodes.get("invite", (None, None))[1])
    sessions: list[SessionSource] = []
    if "days" in values and starts_on and ends_on:
        sessions = _days(reader, values["days"], starts_on, ends_on, zone)
    rendered = render_markdown(source.body)
    if any(problem.is_error for problem in source.problems):
        return None, source.problems
    return (
        ProgrammeSource(
            key=values["key"],
            title=values["title"],
            starts_on=starts_on,
            ends_on=ends_on,
            venue=values.get("venue", ""),
            online_url=values.get("online_url") or None,
            timezone=tz_name,
            summary_md=source.body.strip(),
            summary_html=rendered.html,
            rel_path=rel_path,
            source_hash=source.source_hash,
            regions=regions,
            attendance_required_percent=values.get("attendance_required_percent"),
            cohorts=cohorts,
            sessions=sessions,
        ),
        source.problems,
    )


def _invites(
    reader: _Reader, node: yaml.Node | None
) -> tuple[list[tuple[str, Where]], list[tuple[str, Where]]]:
    regions: list[tuple[str, Where]] = []
    cohorts: list[tuple[str, Where]] = []
    if node is None:
        reader.source.add(
            "W901", "no 'invite': nobody sees the seminar until cohorts or regions are invited", warning=True
        )
        return regions, cohorts
    entries = reader.checked(lambda: mapping_entries("invite", node))
    if entries is None or reader.checked(lambda: known_keys("invite", entries, INVITE_KEYS) or True) is None:
        return regions, cohorts
    for name, _key_node, value_node in entries:
        items = (
            reader.checked(lambda name=name, value_node=value_node: sequence(f"invite.{name}", value_node))
            or []
        )
        for item in items:
            value = reader.checked(lambda name=name, item=item: required_text(f"invite.{name}", item, None))
            if value is None:
                continue
            if name == "regions":
                if not REGION_PATTERN.match(value):
                    reader.source.add_at(
                        item, "E905", f'region {value!r} must be its code in quotes, e.g. "77"'
                    )
                    continue
                regions.append((value, reader.at(item)))
            else:
                cohorts.append((value, reader.at(item)))
    return regions, cohorts


def _days(
    reader: _Reader, node: yaml.Node, starts_on: date, ends_on: date, zone: ZoneInfo
) -> list[SessionSource]:
    days = reader.checked(lambda: sequence("days", node))
    if days is None:
        return []
    day_count = (ends_on - starts_on).days + 1
    if not days:
        reader.source.add_at(node, "E906", "'days' is empty: list the days with their sessions")
    if len(days) > day_count:
        reader.source.add_at(
            days[day_count], "E907", f"{len(days)} days listed, but the dates span {day_count}"
        )
    sessions: list[SessionSource] = []
    keys: dict[str, int] = {}
    for index, day_node in enumerate(days[:day_count]):
        entries = reader.checked(lambda day_node=day_node: mapping_entries("days", day_node))
        if (
            entries is None
            or reader.checked(lambda entries=entries: known_keys("days", entries, DAY_KEYS) or True) is None
        ):
            continue
        on = starts_on + timedelta(days=index)
        found = {name: value for name, _k, value in entries}
        if "date" in found:
            written = reader.checked(
                lambda found=found: opening_date("date", found["date"], constructed(found["date"]))
            )
            if written is not None and written != on:
                reader.source.add_at(
                    found["date"], "E908", f"day {index + 1} is {on.isoformat()}, not {written.isoformat()}"
                )
        if "sessions" not in found:
            reader.source.add_at(day_node, "E105", f"day {index + 1} has no 'sessions'")
            continue
        items = reader.checked(lambda found=found: sequence("sessions", found["sessions"])) or []
        for position, session_node in enumerate(items, start=1):
            session = _session(reader, session_node, index + 1, position, on, zone)
            if session is None:
                continue
            if session.key in keys:
                reader.source.add_at(
                    session_node,
                    "E909",
                    f"session key {session.key!r} repeats (first on line {keys[session.key]})",
                )
                continue
            keys[session.key] = session.where.line
            sessions.append(session)
    return sessions


def _session(
    reader: _Reader, node: yaml.Node, day: int, position: int, on: date, zone: ZoneInfo
) -> SessionSource | None:
    entries = reader.checked(lambda: mapping_entries("sessions", node))
    if (
        entries is None
        or reader.checked(lambda: known_keys("sessions", entries, SESSION_KEYS) or True) is None
    ):
        return None
    found = {name: value for name, _k, value in entries}
    errors_before = sum(problem.is_error for problem in reader.source.problems)
    for required in ("key", "time", "title"):
        if required not in found:
            reader.source.add_at(node, "E105", f"session has no '{required}'")
    key = reader.checked(lambda: identifier("key", found["key"], None)) if "key" in found else None
    title = reader.checked(lambda: required_text("title", found["title"], None)) if "title" in found else None
    span = _time_span(reader, found["time"], on, zone) if "time" in found else None
    session = SessionSource(
        key=key or "",
        day=day,
        position=position,
        title=title or "",
        starts_at=span[0] if span else datetime.min.replace(tzinfo=UTC),
        ends_at=span[1] if span else datetime.min.replace(tzinfo=UTC),
        where=reader.at(node),
    )
    if "room" in found:
        session.room = reader.checked(lambda: text("room", found["room"], None)) or ""
    if "online_url" in found:
        session.online_url = (
            reader.checked(lambda: web_address("online_url", found["online_url"], None)) or None
        )
    if "topics" in found:
        items = reader.checked(lambda: sequence("topics", found["topics"])) or []
        session.topics = [
            t for t in (reader.checked(lambda i=i: required_text("topics", i, None)) for i in items) if t
        ]
    if "speakers" in found:
        session.speakers = _speakers(reader, found["speakers"])
    if "description" in found:
        description = reader.checked(lambda: text("description", found["description"], None))
        session.description_md = description or ""
        session.description_html = render_markdown(description).html if description else ""
    for relation in RELATIONS:
        if relation in found:
            session.links.extend(_links(reader, relation, found[relation]))
    if sum(problem.is_error for problem in reader.source.problems) > errors_before:
        return None
    return session


def _time_span(
    reader: _Reader, node: yaml.Node, on: date, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    written = reader.checked(lambda: required_text("time", node, None))
    match = TIME_PATTERN.match(written or "")
    if written is not None and match is None:
        reader.source.add_at(node, "E910", f"'time' must read like 10:00-11:30 (got {written!r})")
    if match is None:
        return None
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        reader.source.add_at(node, "E910", f"'time' {written!r} is not a time of day")
        return None
    start = datetime.combine(on, time(h1, m1), tzinfo=zone)
    end = datetime.combine(on, time(0, 0), tzinfo=zone) + timedelta(hours=h2, minutes=m2)
    if end <= start:
        reader.source.add_at(node, "E911", f"session ends before it starts ({written})")
        return None
    return start.astimezone(UTC), end.astimezone(UTC)


def _speakers(reader: _Reader, node: yaml.Node) -> list[dict[str, str]]:
    speakers: list[dict[str, str]] = []
    for entry in reader.checked(lambda: sequence("speakers", node)) or []:
        entries = reader.checked(lambda entry=entry: mapping_entries("speakers", entry))
        if (
            entries is None
            or reader.checked(lambda entries=entries: known_keys("speakers", entries, SPEAKER_KEYS) or True)
            is None
        ):
            continue
        found = {name: value for name, _k, value in entries}
        if "name" not in found:
            reader.source.add_at(entry, "E105", "speaker has no 'name'")
            continue
        name = reader.checked(lambda found=found: required_text("name", found["name"], None))
        role = (
            reader.checked(lambda found=found: text("role", found["role"], None)) if "role" in found else ""
        )
        if name:
            speakers.append({"name": name, "role": role or ""})
    return speakers


def _links(reader: _Reader, relation: str, node: yaml.Node) -> list[LinkSource]:
    links: list[LinkSource] = []
    for entry in reader.checked(lambda: sequence(relation, node)) or []:
        entries = reader.checked(lambda entry=entry: mapping_entries(relation, entry))
        if (
            entries is None
            or reader.checked(lambda entries=entries: known_keys(relation, entries, LINK_KEYS) or True)
            is None
        ):
            continue
        found = {name: value for name, _k, value in entries}
        if "course" not in found:
            reader.source.add_at(entry, "E105", f"each '{relation}' entry names its 'course'")
            continue
        course = reader.checked(lambda found=found: identifier("course", found["course"], None))
        module = (
            reader.checked(lambda found=found: identifier("module", found["module"], None))
            if "module" in found
            else None
        )
        item = (
            reader.checked(lambda found=found: identifier("item", found["item"], None))
            if "item" in found
            else None
        )
        due = 0
        if "due" in found:
            value = constructed(found["due"])
            if isinstance(value, bool) or not isinstance(value, int):
                reader.source.add_at(
                    found["due"], "E912", "'due' must be a whole number of days, e.g. -3 or 7"
                )
                continue
            due = value
        if relation == "prepare" and due > 0:
            reader.source.add_at(
                found["due"], "E913", "preparation is due before the session: 'due' must be 0 or less"
            )
            continue
        if relation != "prepare" and due < 0:
            reader.source.add_at(
                found["due"], "E913", f"'{relation}' is due after the session: 'due' must be 0 or more"
            )
            continue
        if relation == "survey" and item is None and course is not None:
            reader.source.add_at(entry, "E914", "a 'survey' entry names the survey's 'item'")
            continue
        if course:
            spots = {name: reader.at(value) for name, value in found.items()}
            links.append(LinkSource(relation, course, module, item, due, reader.at(entry), spots))
    return links


def check_links(programme: ProgrammeSource, catalogue: Catalogue, display: str) -> list[Problem]:
    """Every linked course, module and item exists (and a survey link is a survey)."""
    problems: list[Problem] = []

    def add(where: Where, code: str, message: str) -> None:
        problems.append(Problem(display, where.line, where.col, code, message))

    for session in programme.sessions:
        for link in session.links:
            course = catalogue.course(link.course)
            spot = link.at.get
            if course is None:
                message = f"course {link.course!r} not found: is it in the courses folder (and imported)?"
                add(spot("course", link.where), "E920", message)
                continue
            if link.module and link.module not in course.modules:
                add(
                    spot("module", link.where),
                    "E921",
                    f"course {link.course!r} has no module {link.module!r}",
                )
                continue
            if link.item:
                kind = course.items.get(link.item)
                if kind is None:
                    add(spot("item", link.where), "E922", f"course {link.course!r} has no item {link.item!r}")
                elif link.module and link.item not in course.module_items.get(link.module, frozenset()):
                    add(
                        spot("item", link.where),
                        "E923",
                        f"item {link.item!r} is not in module {link.module!r}",
                    )
                elif link.relation == "survey" and kind != "survey":
                    add(spot("item", link.where), "E924", f"item {link.item!r} is a {kind}, not a survey")
    return problems


def programme_files(root: Path) -> list[Path]:
    """The programme files of a folder, in name order (README.md and dot files are not programmes)."""
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.glob("*.md")
        if path.is_file() and not path.name.startswith(".") and path.name.lower() != "readme.md"
    )


@dataclass(frozen=True)
class TreeCatalogue:
    """The courses of a loaded course tree (`flask lms check` has no database)."""

    courses: dict[str, CourseRef]

    @classmethod
    def of(cls, courses: list[CourseSource]) -> TreeCatalogue:
        refs = {}
        for course in courses:
            items = {lesson.id: lesson.kind for module in course.modules for lesson in module.lessons}
            module_items = {
                module.id: frozenset(lesson.id for lesson in module.lessons) for module in course.modules
            }
            refs[course.id] = CourseRef(course.id, frozenset(module_items), items, module_items)
        return cls(refs)

    def course(self, key: str) -> CourseRef | None:
        return self.courses.get(key)


def check_folder(root: Path, catalogue: Catalogue, *, display_prefix: str | None = None) -> list[Problem]:
    """Every problem of every programme in `root`, for `flask lms check`."""
    prefix = root.as_posix() if display_prefix is None else display_prefix
    problems: list[Problem] = []
    for path in programme_files(root):
        display = f"{prefix}/{path.name}" if prefix else path.name
        programme, found = read_programme(path, path.name, display)
        problems.extend(found)
        if programme is not None:
            problems.extend(check_links(programme, catalogue, display))
    return sorted(set(problems))

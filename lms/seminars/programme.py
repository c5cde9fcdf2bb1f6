"""Read a seminar's programme file (`seminars/<key>.md`) into plain data, with problems.

Flask-free and database-free like the course loader (lms.content.loader), and built on the same
pieces: the front matter reader with its line mapping (lms.content.frontmatter), the value checks
(lms.content.schema), the one Markdown pipeline (lms.content.render) and `path:line:col` problems
(lms.content.problems). The file's keys, its own value checks and the plain data it becomes are in
lms.seminars.programme_schema. Whether linked courses and items exist is checked separately against a
`Catalogue` (lms.seminars.catalogue: the course tree for `flask lms check`, the database for the import).

Problem codes: E9xx errors, W9xx warnings (docs/seminars.md lists them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from lms.content.frontmatter import FRONT_MATTER_LINE, SourceFile, check_fields, read_source
from lms.content.problems import Problem
from lms.content.render import piece_id_prefix, render_markdown
from lms.content.schema import (
    TITLE_LENGTH,
    Check,
    Invalid,
    at_most,
    constructed,
    identifier,
    known_keys,
    mapping_entries,
    opening_date,
    required_text,
    sequence,
    text,
)
from lms.seminars.programme_schema import (
    DAY_KEYS,
    DEFAULT_TIMEZONE,
    INVITE_KEYS,
    LINK_KEYS,
    REGION_PATTERN,
    RELATIONS,
    ROOM_LENGTH,
    SEMINAR_FIELDS,
    SESSION_KEYS,
    SPEAKER_KEYS,
    TIME_PATTERN,
    URL_LENGTH,
    LinkSource,
    ProgrammeSource,
    SessionSource,
    Where,
    web_address,
)

SESSION_TITLE = at_most(TITLE_LENGTH, required_text)
SESSION_URL = at_most(URL_LENGTH, web_address)


class _Reader:
    """Collects the problems of one file while reading its days and sessions: each check that
    fails becomes a problem at its node and gives None, so reading goes on and every problem of
    the file is reported at once."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source

    def at(self, node: yaml.Node) -> Where:
        mark = node.start_mark
        return Where(mark.line + FRONT_MATTER_LINE, mark.column + 1)

    def value(self, check: Check, key: str, node: yaml.Node) -> Any:
        """`check(key, node, value)`, or None (reported) when it fails."""
        try:
            return check(key, node, constructed(node))
        except Invalid as exc:
            self.source.add_at(exc.node, exc.code, exc.message)
            return None
        except yaml.YAMLError as exc:
            self.source.add_at(node, "E100", f"invalid YAML value for '{key}': {exc}")
            return None

    def items(self, key: str, node: yaml.Node) -> list[yaml.Node]:
        """The entries of a list (reported and empty when it is not one)."""
        try:
            return sequence(key, node)
        except Invalid as exc:
            self.source.add_at(exc.node, exc.code, exc.message)
            return []

    def mapping(self, key: str, node: yaml.Node, known: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """A mapping's value nodes by name, every name known (None, reported, otherwise)."""
        try:
            entries = mapping_entries(key, node)
            known_keys(key, entries, known)
        except Invalid as exc:
            self.source.add_at(exc.node, exc.code, exc.message)
            return None
        return {name: value for name, _key_node, value in entries}


def read_programme(
    path: Path, rel_path: str, display: str, *, within: Path | None = None
) -> tuple[ProgrammeSource | None, list[Problem]]:
    """Parse one programme file; the programme is None when it has errors. `within`: the resolved
    seminars folder, which a symlinked file may not lead out of (E215)."""
    source = read_source(path, rel_path, display, within=within)
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
    if any(problem.is_error for problem in source.problems) or starts_on is None or ends_on is None:
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
        message = "no 'invite': nobody sees the seminar until cohorts or regions are invited"
        reader.source.add("W901", message, warning=True)
        return regions, cohorts
    found = reader.mapping("invite", node, INVITE_KEYS) or {}
    for name, value_node in found.items():
        for item in reader.items(f"invite.{name}", value_node):
            value = reader.value(required_text, f"invite.{name}", item)
            if value is None:
                continue
            if name == "regions" and not REGION_PATTERN.match(value):
                reader.source.add_at(item, "E905", f'region {value!r} must be its code in quotes, e.g. "77"')
            elif name == "regions":
                regions.append((value, reader.at(item)))
            else:
                cohorts.append((value, reader.at(item)))
    return regions, cohorts


def _days(
    reader: _Reader, node: yaml.Node, starts_on: date, ends_on: date, zone: ZoneInfo
) -> list[SessionSource]:
    days = reader.items("days", node)
    day_count = (ends_on - starts_on).days + 1
    if not days and (isinstance(node, yaml.SequenceNode) or node.tag == "tag:yaml.org,2002:null"):
        reader.source.add_at(node, "E906", "'days' is empty: list the days with their sessions")
    if len(days) > day_count:
        reader.source.add_at(
            days[day_count], "E907", f"{len(days)} days listed, but the dates span {day_count}"
        )
    sessions: list[SessionSource] = []
    first_lines: dict[str, int] = {}
    for index, day_node in enumerate(days[:day_count]):
        found = reader.mapping("days", day_node, DAY_KEYS)
        if found is None:
            continue
        on = starts_on + timedelta(days=index)
        if "date" in found:
            written = reader.value(opening_date, "date", found["date"])
            if written is not None and written != on:
                message = f"day {index + 1} is {on.isoformat()}, not {written.isoformat()}"
                reader.source.add_at(found["date"], "E908", message)
        if "sessions" not in found:
            reader.source.add_at(day_node, "E105", f"day {index + 1} has no 'sessions'")
            continue
        for position, session_node in enumerate(reader.items("sessions", found["sessions"]), start=1):
            session = _session(reader, session_node, index + 1, position, on, zone)
            if session is None:
                continue
            if session.key in first_lines:
                message = f"session key {session.key!r} repeats (first on line {first_lines[session.key]})"
                reader.source.add_at(session_node, "E909", message)
                continue
            first_lines[session.key] = session.where.line
            sessions.append(session)
    return sessions


def _session(
    reader: _Reader, node: yaml.Node, day: int, position: int, on: date, zone: ZoneInfo
) -> SessionSource | None:
    found = reader.mapping("sessions", node, SESSION_KEYS)
    if found is None:
        return None
    errors_before = sum(problem.is_error for problem in reader.source.problems)
    for required in ("key", "time", "title"):
        if required not in found:
            reader.source.add_at(node, "E105", f"session has no '{required}'")
    key = reader.value(identifier, "key", found["key"]) if "key" in found else None
    title = reader.value(SESSION_TITLE, "title", found["title"]) if "title" in found else None
    span = _time_span(reader, found["time"], on, zone) if "time" in found else None
    if key is None or title is None or span is None:
        _session_details(reader, found)  # still report the problems of the rest
        return None
    session = SessionSource(
        key=key,
        day=day,
        position=position,
        title=title,
        starts_at=span[0],
        ends_at=span[1],
        where=reader.at(node),
    )
    _session_details(reader, found, session)
    if sum(problem.is_error for problem in reader.source.problems) > errors_before:
        return None
    return session


def _session_details(
    reader: _Reader, found: dict[str, yaml.Node], session: SessionSource | None = None
) -> None:
    """Room, link, topics, speakers, description and linked items, onto `session` when given."""
    target = session or SessionSource(
        key="",
        day=0,
        position=0,
        title="",
        starts_at=datetime.min.replace(tzinfo=UTC),
        ends_at=datetime.min.replace(tzinfo=UTC),
    )
    if "room" in found:
        target.room = reader.value(at_most(ROOM_LENGTH, text), "room", found["room"]) or ""
    if "online_url" in found:
        target.online_url = reader.value(SESSION_URL, "online_url", found["online_url"]) or None
    if "topics" in found:
        topics = (
            reader.value(required_text, "topics", item) for item in reader.items("topics", found["topics"])
        )
        target.topics = [topic for topic in topics if topic]
    if "speakers" in found:
        target.speakers = _speakers(reader, found["speakers"])
    if "description" in found:
        description = reader.value(text, "description", found["description"]) or ""
        target.description_md = description
        # Each session's own ids: the programme page shows every session's description.
        prefix = piece_id_prefix(f"session-{target.key}")
        target.description_html = render_markdown(description, id_prefix=prefix).html if description else ""
    for relation in RELATIONS:
        if relation in found:
            target.links.extend(_links(reader, relation, found[relation]))


def _time_span(
    reader: _Reader, node: yaml.Node, on: date, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    written = reader.value(required_text, "time", node)
    if written is None:
        return None
    match = TIME_PATTERN.match(written)
    if match is None:
        reader.source.add_at(node, "E910", f"'time' must read like 10:00-11:30 (got {written!r})")
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
    for entry in reader.items("speakers", node):
        found = reader.mapping("speakers", entry, SPEAKER_KEYS)
        if found is None:
            continue
        if "name" not in found:
            reader.source.add_at(entry, "E105", "speaker has no 'name'")
            continue
        name = reader.value(required_text, "name", found["name"])
        role = reader.value(text, "role", found["role"]) if "role" in found else ""
        if name:
            speakers.append({"name": name, "role": role or ""})
    return speakers


def _due(reader: _Reader, relation: str, node: yaml.Node) -> int | None:
    value = constructed(node)
    if isinstance(value, bool) or not isinstance(value, int):
        reader.source.add_at(node, "E912", "'due' must be a whole number of days, e.g. -3 or 7")
        return None
    if relation == "prepare" and value > 0:
        reader.source.add_at(node, "E913", "preparation is due before the session: 'due' must be 0 or less")
        return None
    if relation != "prepare" and value < 0:
        reader.source.add_at(node, "E913", f"'{relation}' is due after the session: 'due' must be 0 or more")
        return None
    return value


def _links(reader: _Reader, relation: str, node: yaml.Node) -> list[LinkSource]:
    links: list[LinkSource] = []
    for entry in reader.items(relation, node):
        found = reader.mapping(relation, entry, LINK_KEYS)
        if found is None:
            continue
        if "course" not in found:
            reader.source.add_at(entry, "E105", f"each '{relation}' entry names its 'course'")
            continue
        course = reader.value(identifier, "course", found["course"])
        module = reader.value(identifier, "module", found["module"]) if "module" in found else None
        item = reader.value(identifier, "item", found["item"]) if "item" in found else None
        due = _due(reader, relation, found["due"]) if "due" in found else 0
        if relation == "survey" and "item" not in found:
            reader.source.add_at(entry, "E914", "a 'survey' entry names the survey's 'item'")
            continue
        if course is None or due is None:
            continue
        spots = {name: reader.at(value) for name, value in found.items()}
        links.append(LinkSource(relation, course, module, item, due, reader.at(entry), spots))
    return links


def programme_files(root: Path) -> list[Path]:
    """The programme files of a folder, in name order (README.md and dot files are not programmes)."""
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.glob("*.md")
        if path.is_file() and not path.name.startswith(".") and path.name.lower() != "readme.md"
    )

"""Keys a course names but another domain owns: the seminar of `completion: {attendance: ...}`.

Content does not know which seminars exist, and imports no seminar code: the owning domain
registers a lookup for its kind of key (lms.seminars.importer registers "seminar"), the importer
and the editor ask `known_keys()` before loading, and the loader checks each named key against
the answer (E214). A kind nobody registered, or a load given no answer (`flask lms check`'s pure
loader in tests, editors' previews), is not checked. A plain dict, like ITEM_KINDS.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from lms.content.frontmatter import SourceFile

KeyLookup = Callable[[Path | None, bool], Collection[str]]
"""(the folder of that kind's files checked alongside the courses, or None for the configured
one; whether to read the database too) -> the keys that exist, or will once the run that imports
the courses has imported that folder too. Needs the app (its config and database)."""

# key kind -> its owner's lookup, filled when the owning package is imported.
KEY_LOOKUPS: dict[str, KeyLookup] = {}

# A completion requirement (lms.content.schema.Requirement) kind -> (the requirement's field that
# names a key, the kind of key it names); the key is written at completion.<requirement>.<field>.
NAMED_KEYS: dict[str, tuple[str, str]] = {"attendance": ("seminar", "seminar")}


def register_lookup(kind: str, lookup: KeyLookup) -> None:
    """Add the lookup of a kind of key; the same lookup twice is harmless, two are a bug."""
    known = KEY_LOOKUPS.get(kind)
    if known is not None and known is not lookup:
        raise ValueError(f"key kind {kind!r} has two lookups")
    KEY_LOOKUPS[kind] = lookup


def known_keys(
    folders: Mapping[str, Path] | None = None, *, database: bool = True
) -> dict[str, frozenset[str]]:
    """Every registered kind of key -> the keys that exist (`folders`: a kind's own folder to read
    instead of the configured one, as `flask lms check --seminars DIR` gives)."""
    folders = folders or {}
    return {kind: frozenset(lookup(folders.get(kind), database)) for kind, lookup in KEY_LOOKUPS.items()}


@dataclass(frozen=True)
class NamedKey:
    """A key a course's front matter names, with the node the author wrote it at."""

    kind: str
    key: str
    source: SourceFile
    node: yaml.Node | None


def named_in_completion(source: SourceFile, requirements: Iterable[Mapping]) -> list[NamedKey]:
    """The keys a course's completion requirements name, each at its value in `completion`."""
    found = []
    for requirement in requirements:
        named = NAMED_KEYS.get(requirement.get("kind", ""))
        if named is None or not isinstance(requirement.get(named[0]), str):
            continue
        field, kind = named
        node = _value_at(source, ("completion", requirement["kind"], field))
        found.append(NamedKey(kind, requirement[field], source, node))
    return found


def _value_at(source: SourceFile, path: tuple[str, ...]) -> yaml.Node | None:
    pair = source.nodes.get(path[0])
    node = pair[1] if pair else None
    for name in path[1:]:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next(
            (value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == name),
            None,
        )
    return node


def check_named_keys(named: Iterable[NamedKey], known: Mapping[str, Collection[str]]) -> None:
    """Report a key that no owner knows (E214), at the spot it is written; kinds `known` has no
    answer for are left alone."""
    for ref in named:
        keys = known.get(ref.kind)
        if keys is None or ref.key in keys:
            continue
        close = difflib.get_close_matches(ref.key, sorted(keys), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        message = (
            f"{ref.kind} '{ref.key}' not found: it is neither imported nor a file in the {ref.kind}s"
            f" folder, so this requirement could never be met{hint}"
        )
        if ref.node is not None:
            ref.source.add_at(ref.node, "E214", message)
        else:
            ref.source.add("E214", message)

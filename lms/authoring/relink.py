"""Rewrite the relative link and image targets of a Markdown text when a file of the course moves.

Pure (no Flask, no database): the move glue in `structure_move` reads the texts and saves the
drafts. Paths here are relative to the course folder (`01-one/02-second.md`), folders too (`""`
is the course folder itself). A target is rewritten only where `scan.target_offsets` found it and
the text there is the target as written; anything else is left for lint to report.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from urllib.parse import unquote

from lms.content.frontmatter import split_front_matter
from lms.content.render import is_relative, path_in_course
from lms.content.scan import target_offsets

# Characters a path segment written unencoded cannot hold in a Markdown destination or a URL.
_UNSAFE = set(" \t\n()<>#?%\"'\\")


def relink(text: str, *, doc_dir: str, new_doc_dir: str, moves: Mapping[str, str]) -> str:
    """`text` with its relative targets rewritten for a move.

    The file itself moves from `doc_dir` to `new_doc_dir` (the same folder when only its links'
    targets move); `moves` maps the old course path of each moved file to its new one. A target
    that resolved inside the course keeps pointing at the same file (or at where that file moved),
    written relative to the new folder, with its `?query` and `#fragment` as written.
    """
    start = _body_start(text)
    replacements: list[tuple[int, str, str]] = []
    for target, offsets in target_offsets(text[start:]).items():
        new_target = _new_target(target, doc_dir, new_doc_dir, moves)
        if new_target is None:
            continue
        for offset in offsets:
            at = start + offset
            if text[at : at + len(target)] == target:  # written as scanned: no escapes, no entities
                replacements.append((at, target, new_target))
    for at, target, new_target in sorted(replacements, reverse=True):  # from the end: offsets hold
        text = text[:at] + new_target + text[at + len(target) :]
    return text


def _body_start(text: str) -> int:
    """Where the Markdown body begins: the front matter is YAML, not links."""
    parts = split_front_matter(text)
    return 0 if parts is None else len(text) - len(parts[1])


def _new_target(target: str, doc_dir: str, new_doc_dir: str, moves: Mapping[str, str]) -> str | None:
    """The target rewritten for the move; None when it stays as it is."""
    if not is_relative(target):  # external, absolute, `#anchor`, `?query`, `mailto:`
        return None
    cut = min((i for i in (target.find("?"), target.find("#")) if i != -1), default=len(target))
    written, rest = target[:cut], target[cut:]
    resolved = path_in_course(doc_dir, written)
    if resolved is None:  # outside the course: lint reports it, a move does not guess
        return None
    moved = moves.get(resolved)
    if moved is None and doc_dir == new_doc_dir:
        return None  # neither the file nor what it points at moved
    path = _relative(moved or resolved, new_doc_dir, written)
    if written.endswith("/") and not path.endswith("/"):
        path += "/"
    new_target = path + rest
    return None if new_target == target else new_target


def _relative(path: str, folder: str, written: str) -> str:
    """`path` (in the course) relative to `folder`, its segments written like those of `written`."""
    new = posixpath.relpath(path, folder or ".").split("/")
    old = [segment for segment in written.split("/") if segment not in ("", ".")]
    encoded = unquote(written) != written
    # The file's own name and the folders it keeps are written as the author wrote them.
    kept = 0
    while (
        kept < min(len(new), len(old))
        and old[-1 - kept] != ".."
        and unquote(old[-1 - kept]) == new[-1 - kept]
    ):
        kept += 1
    head = [_write(segment, encoded=encoded) for segment in new[: len(new) - kept]]
    return "/".join(head + old[len(old) - kept :])


def _write(segment: str, *, encoded: bool) -> str:
    """A path segment as the target's style has it: percent-encoded, or plain where safe."""
    if segment == "..":
        return segment
    if encoded:
        return "".join(_percent(char) if not char.isascii() or char in _UNSAFE else char for char in segment)
    return "".join(_percent(char) if char in _UNSAFE else char for char in segment)


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))

"""Course assets (images) stored content-addressed at import, so every node serves them from the
database and the storage, never from its own `courses/` folder.

At import each file a course's pages reference through their asset URLs
(`/courses/<course>/assets/<path>`, made by `render.CourseUrlPolicy`) is hashed; its bytes go to the
asset store under their SHA-256 (uploaded only when the store lacks them) and a `CourseAsset` row
maps (course, path) to the hash. The stored HTML of the course's pages then carries `?v=<hash
prefix>` on each asset URL, which lets the browser keep the file for a year: a changed image is a
new URL. Objects no longer referenced stay in the store (a few kilobytes each; see
docs/operations.md), because another course or an older page still cached may point at them.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import sqlalchemy as sa

from lms.content.models import Course, CourseAsset
from lms.content.services import ASSET_TYPES
from lms.core import storage
from lms.core.time import utcnow
from lms.extensions import db

# The hash prefix in `?v=`: 64 bits tell versions apart; the ETag carries the whole hash.
VERSION_LENGTH = 16


@dataclass
class AssetReport:
    """What one course's import did to its stored assets."""

    uploaded: int = 0
    unchanged: int = 0
    removed: int = 0
    hashes: dict[str, str] = field(default_factory=dict)  # path in course -> SHA-256


def _url_pattern(course_key: str) -> re.Pattern[str]:
    """An asset URL of this course inside a double-quoted attribute (as bleach writes them), with
    any `?v=` an earlier import added."""
    prefix = re.escape(f"/courses/{quote(course_key, safe='')}/assets/")
    return re.compile(rf'="({prefix})([^"?#]+)(\?v=[0-9a-f]*)?"')


def referenced_paths(course_key: str, pages: Iterable[str]) -> set[str]:
    """Paths in the course folder that the given sanitised HTML shows or links as assets."""
    pattern = _url_pattern(course_key)
    return {unquote(html.unescape(match[2])) for page in pages for match in pattern.finditer(page)}


def versioned(page: str, course_key: str, hashes: dict[str, str]) -> str:
    """The page with `?v=<hash prefix>` on every asset URL whose file is stored (and none on
    others), replacing what an earlier import wrote."""

    def replace(match: re.Match[str]) -> str:
        sha = hashes.get(unquote(html.unescape(match[2])))
        suffix = f"?v={sha[:VERSION_LENGTH]}" if sha else ""
        return f'="{match[1]}{match[2]}{suffix}"'

    return _url_pattern(course_key).sub(replace, page)


def _file_in_course(course_dir: Path, path_in_course: str, within: Path) -> Path | None:
    written = Path(os.path.normpath(course_dir / path_in_course))
    candidate = written.resolve()
    # The path as written stays in the course; a symlink on it may lead anywhere in the courses
    # folder (an image shared by two courses), never out of it.
    if not written.is_relative_to(course_dir) or not candidate.is_relative_to(within):
        return None  # the linter has reported it (E305, E215)
    if not candidate.is_file():
        return None  # missing: the linter has reported it
    if candidate.suffix.lower() not in ASSET_TYPES:
        return None  # the Markdown itself, a PDF...: never served from a course folder
    return candidate


def store_course_assets(
    course: Course, course_dir: Path, paths: Iterable[str], *, within: Path | None = None
) -> AssetReport:
    """Store the course's referenced files and record them; forget rows no page references.

    `within`: the courses folder, where a symlinked file may lead (default: the course folder).

    An object already in the store is not uploaded again (one existence check each), so
    re-importing unchanged images costs no upload, and a store that lost an object, or a node
    switched to another store, gets it back on the next import. Call with the course flushed.
    """
    report = AssetReport()
    store = storage.assets()
    course_dir = course_dir.resolve()
    within = course_dir if within is None else within.resolve()
    rows = {
        row.path_in_course: row
        for row in db.session.scalars(sa.select(CourseAsset).where(CourseAsset.course_id == course.id))
    }
    for path in sorted(set(paths)):
        file = _file_in_course(course_dir, path, within)
        if file is None:
            continue
        data = file.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        content_type = ASSET_TYPES[file.suffix.lower()]
        if store.exists(sha):
            report.unchanged += 1
        else:
            store.put(sha, data, content_type)
            report.uploaded += 1
        report.hashes[path] = sha
        row = rows.pop(path, None)
        if row is None:
            db.session.add(
                CourseAsset(
                    course_id=course.id,
                    path_in_course=path,
                    sha256=sha,
                    content_type=content_type,
                    size=len(data),
                )
            )
        elif (row.sha256, row.content_type, row.size) != (sha, content_type, len(data)):
            row.sha256, row.content_type, row.size, row.updated_at = sha, content_type, len(data), utcnow()
    for row in rows.values():
        db.session.delete(row)
        report.removed += 1
    return report


def payload_strings(value: object) -> Iterable[str]:
    """Every string in a kind's JSON payload (a scenario's node HTML may show images)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from payload_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from payload_strings(item)


def stored_asset(course: Course, path_in_course: str) -> CourseAsset | None:
    """The stored asset a URL of the course names, or None (never stored: 404)."""
    return db.session.get(CourseAsset, (course.id, path_in_course))

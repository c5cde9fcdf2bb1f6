"""Course files on disk: every path an author names resolves inside COURSES_DIR, or is refused.

Paths are posix, relative to COURSES_DIR (`rel`). Writes go through a temp file and `os.replace`,
and can be undone, so a publish whose import fails leaves the disk as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import abort, current_app

TEXT_SUFFIXES = frozenset({".md"})
# The longest file or folder name the file systems a server runs on accept (bytes, NAME_MAX).
NAME_MAX_BYTES = 255


class PathRefused(ValueError):
    """A path that is not a course file inside COURSES_DIR (traversal, symlink, absolute, ...)."""


def has_overlong_name(rel: str) -> bool:
    """A path with a part no file system takes: it names no file (the OS would refuse it)."""
    return any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES for part in rel.split("/"))


def refuse_overlong_names(_endpoint: str | None, values: dict | None) -> None:
    """The authoring pages' URL guard: a course folder or file named longer than any file system
    allows is not found (404), before a view asks the disk about it."""
    if any(isinstance(value, str) and has_overlong_name(value) for value in (values or {}).values()):
        abort(404)


def courses_root() -> Path:
    """COURSES_DIR, resolved (symlinks above it are the operator's business, not an author's)."""
    return Path(current_app.config["COURSES_DIR"]).resolve()


def resolve(rel: str) -> Path:
    """The absolute path of course file `rel`; PathRefused unless it is a plain `.md` path inside
    a course folder, with no symlink anywhere below COURSES_DIR."""
    if not isinstance(rel, str) or not rel:
        raise PathRefused("empty path")
    if "\0" in rel or "\\" in rel:
        raise PathRefused("NUL or backslash in path")
    if has_overlong_name(rel):
        raise PathRefused("a name longer than file systems allow")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise PathRefused("absolute path")
    parts = rel.split("/")
    if len(parts) < 2:
        raise PathRefused("not inside a course folder")
    for part in parts:
        # `.` and `..` walk; hidden names (`.git`) are never course content; empty parts are `//`.
        if not part or part.startswith(".") or any(ord(ch) < 32 for ch in part):
            raise PathRefused("bad path component")
    if Path(parts[-1]).suffix.lower() not in TEXT_SUFFIXES:
        raise PathRefused("not a Markdown file")
    root = courses_root()
    path = root
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise PathRefused("symlink in path")
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise PathRefused("outside the courses folder")
    return path


def course_of(rel: str) -> str:
    """The course folder a file belongs to (its first path part)."""
    return rel.split("/", 1)[0]


def text_hash(text: str) -> str:
    """sha256 hex of the text's UTF-8 bytes: the same hash the importer stores as `source_hash`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_disk(rel: str) -> tuple[str | None, str | None]:
    """(text, hash) of the file on disk; (None, None) when it does not exist. Undecodable bytes are
    replaced, so a broken file can still be opened and fixed; its hash is of the raw bytes."""
    path = resolve(rel)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except IsADirectoryError as error:
        raise PathRefused("a folder, not a file") from error
    return raw.decode("utf-8", errors="replace"), hashlib.sha256(raw).hexdigest()


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically: a temp file beside it, then `os.replace`."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".authoring-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def write_atomically(changes: dict[str, str | None]) -> Callable[[], None]:
    """Write every `{rel: text}` (None: remove the file); return `undo()`, which puts back the old
    files, removes new ones and the folders made for them. If a write fails, the ones already done
    are undone."""
    targets = {rel: resolve(rel) for rel in changes}  # refuse every path before writing any
    done: list[tuple[Path, bytes | None]] = []
    made_dirs: list[Path] = []

    def undo() -> None:
        for path, old in reversed(done):
            if old is None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            else:
                _replace(path, old)
        for folder in reversed(made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty

    try:
        for rel, text in changes.items():
            path = targets[rel]
            missing = []
            parent = path.parent
            while not parent.exists():
                missing.append(parent)
                parent = parent.parent
            for folder in reversed(missing):
                folder.mkdir()
                made_dirs.append(folder)
            old = path.read_bytes() if path.exists() else None
            if text is None:
                if old is not None:
                    path.unlink()
                    done.append((path, old))
                continue
            _replace(path, text.encode("utf-8"))
            done.append((path, old))
    except BaseException:
        undo()
        raise
    return undo

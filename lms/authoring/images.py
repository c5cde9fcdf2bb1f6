"""Images for a lesson, uploaded in the browser and stored in the lesson's folder (`img/`).

The one authoring write that goes straight to disk (an image nobody links to is harmless, and the
Markdown that links it is a draft like any other). The type is decided by the file's first bytes,
never by its name or the browser's word: PNG, JPEG, GIF and WebP only. SVG is refused, not
sanitised: it is a document that can carry scripts and external references, and the pages serve
course files as they are; authors convert a drawing to PNG instead. Names are rebuilt from latin
letters, digits and `-`, and an existing file is never overwritten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.authoring.files import PathRefused, course_of, courses_root, resolve
from lms.authoring.structure import slug
from lms.core.errors import ValidationError
from lms.core.transactions import remove_on_rollback

DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_FOLDER = "img"


@dataclass(frozen=True)
class SavedImage:
    """Where the image went: its path from COURSES_DIR, from the lesson, and the Markdown to insert."""

    rel: str
    link: str
    markdown: str


def sniff(data: bytes) -> str | None:
    """The image type by its signature (the file extension to use), None when not an allowed image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def max_image_bytes() -> int:
    return int(current_app.config.get("AUTHORING_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES))


def alt_text(alt: str) -> str:
    """Alt text that cannot end the `![...]` early or break the line."""
    return " ".join(alt.replace("[", "(").replace("]", ")").split())


def _folder(lesson_rel: str) -> Path:
    """The lesson's `img/` folder, made if missing; PathRefused if it would not be a plain folder
    inside the course folder."""
    lesson = resolve(lesson_rel)
    course = courses_root() / course_of(lesson_rel)
    folder = lesson.parent / IMAGE_FOLDER
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise PathRefused("the image folder is not a plain folder")
    if not lesson.parent.is_dir():
        raise ValidationError(
            "unpublished", _l("Publish the new module first, then add its images."), field="image"
        )
    folder.mkdir(exist_ok=True)
    if not folder.resolve().is_relative_to(course.resolve()):
        raise PathRefused("outside the course folder")
    return folder


def save_image(lesson_rel: str, filename: str, data: bytes, alt: str, user: User) -> SavedImage:
    """Store an uploaded image beside the lesson; ValidationError (field `image`) when refused."""
    limit = max_image_bytes()
    if not data:
        raise ValidationError("empty", _l("Choose an image file."), field="image")
    if len(data) > limit:
        message = _l("The image is larger than %(size)s KiB.", size=limit // 1024)
        raise ValidationError("too_large", message, field="image")
    kind = sniff(data)
    if kind is None:
        if _looks_like_svg(data):
            message = _l("SVG images are not accepted (they can carry scripts): save the drawing as PNG.")
        else:
            message = _l("Only PNG, JPEG, GIF and WebP images are accepted.")
        raise ValidationError("type", message, field="image")
    folder = _folder(lesson_rel)
    stem = slug(Path(filename or "").stem, 60) or "image"
    number = 1
    while True:
        name = f"{stem}.{kind}" if number == 1 else f"{stem}-{number}.{kind}"
        path = folder / name
        try:
            # O_EXCL: never overwrite an image a lesson already shows, even in a race.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            number += 1
            continue
        break
    remove_on_rollback(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    rel = path.relative_to(courses_root()).as_posix()
    link = f"{IMAGE_FOLDER}/{name}"
    record(
        "authoring.image",
        actor=user,
        target_type="course_file",
        target_label=rel,
        details={"path": rel, "lesson": lesson_rel, "type": kind, "bytes": len(data)},
    )
    return SavedImage(rel=rel, link=link, markdown=f"![{alt_text(alt)}]({link})")

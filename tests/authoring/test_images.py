"""Lesson images: type by content, size limit, safe names beside the lesson, never outside, audited."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring.files import PathRefused
from lms.authoring.images import alt_text, save_image, sniff
from lms.core.errors import ValidationError
from lms.extensions import db

LESSON = "tiny-course/01-one/01-first.md"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def author(make_user):
    return make_user("admin1", role="admin")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG, "png"),
        (JPEG, "jpg"),
        (GIF, "gif"),
        (WEBP, "webp"),
        (SVG, None),
        (b"%PDF-1.7", None),
        (b"RIFF0000AVI ", None),
    ],
)
def test_the_type_is_read_from_the_first_bytes(data, kind):
    assert sniff(data) == kind


def test_an_image_is_stored_in_the_lessons_img_folder_with_the_extension_of_its_content(
    app, courses_dir, author
):
    saved = save_image(LESSON, "Карта участка.PNG.exe", JPEG, "Карта [участка]", author)
    db.session.commit()
    assert saved.rel == "tiny-course/01-one/img/karta-uchastka-png.jpg"
    assert saved.link == "img/karta-uchastka-png.jpg"
    assert saved.markdown == "![Карта (участка)](img/karta-uchastka-png.jpg)"
    assert (courses_dir / saved.rel).read_bytes() == JPEG
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "authoring.image")).one()
    assert event.details == {"path": saved.rel, "lesson": LESSON, "type": "jpg", "bytes": len(JPEG)}


def test_an_existing_image_is_never_overwritten(app, courses_dir, author):
    before = (courses_dir / "tiny-course/01-one/img/dot.png").read_bytes()
    saved = save_image(LESSON, "dot.png", PNG, "", author)
    assert saved.link == "img/dot-2.png"
    assert (courses_dir / "tiny-course/01-one/img/dot.png").read_bytes() == before


def test_a_folder_without_img_gets_one(app, courses_dir, author):
    saved = save_image("tiny-course/02-two/01-third.md", "схема.gif", GIF, "Схема", author)
    assert (courses_dir / "tiny-course/02-two/img/skhema.gif").read_bytes() == GIF
    assert saved.markdown == "![Схема](img/skhema.gif)"


def test_a_name_without_usable_letters_becomes_image(app, courses_dir, author):
    assert save_image(LESSON, "../../..", WEBP, "", author).link == "img/image.webp"


@pytest.mark.parametrize(
    ("data", "code"),
    [(SVG, "type"), (b"<svg onload='x'/>", "type"), (b"MZ\x90\x00", "type"), (b"", "empty")],
)
def test_refused_content_writes_nothing(app, courses_dir, author, data, code):
    with pytest.raises(ValidationError) as refused:
        save_image(LESSON, "x.png", data, "", author)
    assert (refused.value.code, refused.value.field) == (code, "image")
    assert sorted(os.listdir(courses_dir / "tiny-course/01-one/img")) == ["dot.png"]


def test_svg_is_refused_with_its_own_reason(app, courses_dir, author):
    with pytest.raises(ValidationError, match="SVG"):
        save_image(LESSON, "x.svg", SVG, "", author)


def test_the_size_limit_comes_from_the_config(app, courses_dir, author):
    app.config["AUTHORING_MAX_IMAGE_BYTES"] = 1024
    with pytest.raises(ValidationError) as refused:
        save_image(LESSON, "big.png", PNG + b"\x00" * 1024, "", author)
    assert refused.value.code == "too_large"
    assert save_image(LESSON, "small.png", PNG, "", author).link == "img/small.png"


@pytest.mark.parametrize(
    "lesson",
    [
        "../outside.md",
        "tiny-course/../../outside.md",
        "/etc/passwd.md",
        "tiny-course/01-one/01-first.png",
        "tiny-course\\01-one\\01-first.md",
        "course.md",
    ],
)
def test_a_lesson_path_outside_the_courses_is_refused(app, courses_dir, author, lesson):
    with pytest.raises(PathRefused):
        save_image(lesson, "x.png", PNG, "", author)


def test_a_symlinked_img_folder_is_refused(app, courses_dir, author, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = courses_dir / "tiny-course/02-two/img"
    folder.symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathRefused):
        save_image("tiny-course/02-two/01-third.md", "x.png", PNG, "", author)
    assert list(outside.iterdir()) == []


def test_a_symlinked_lesson_folder_is_refused(app, courses_dir, author, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (courses_dir / "tiny-course/03-link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathRefused):
        save_image("tiny-course/03-link/01-x.md", "x.png", PNG, "", author)
    assert list(outside.iterdir()) == []


def test_an_image_file_named_like_the_next_one_is_skipped_not_followed(app, courses_dir, author, tmp_path):
    target = tmp_path / "victim.png"
    target.write_bytes(b"keep")
    (courses_dir / "tiny-course/01-one/img/pic.png").symlink_to(target)
    saved = save_image(LESSON, "pic.png", PNG, "", author)
    assert saved.link == "img/pic-2.png"
    assert target.read_bytes() == b"keep"


def test_a_module_not_yet_on_disk_cannot_take_images(app, courses_dir, author):
    with pytest.raises(ValidationError) as refused:
        save_image("tiny-course/09-new/01-x.md", "x.png", PNG, "", author)
    assert refused.value.code == "unpublished"


def test_the_image_goes_when_the_transaction_rolls_back(app, courses_dir, author):
    saved = save_image(LESSON, "gone.png", PNG, "", author)
    assert (courses_dir / saved.rel).exists()
    db.session.rollback()
    assert not (courses_dir / saved.rel).exists()


def test_alt_text_cannot_break_the_markdown():
    assert alt_text("a]\n(b) [c") == "a) (b) (c"

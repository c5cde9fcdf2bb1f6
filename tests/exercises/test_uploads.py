"""Attachments are judged by their content: type, size, Office containers, bombs and macros."""

from __future__ import annotations

import pytest

from lms.exercises.uploads import UploadRejected, check_upload, safe_filename
from tests.exercises.files import office, pdf, png, zip_bomb

ALLOWED = ["pdf", "png", "jpg", "docx", "xlsx"]
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("отчёт.pdf", pdf(), "pdf"),
        ("карта.PNG", png(), "png"),
        ("план.docx", office("docx"), "docx"),
        ("бюджет.xlsx", office("xlsx"), "xlsx"),
    ],
)
def test_accepts_real_files(name, data, kind):
    checked = check_upload(name, data, allowed=ALLOWED, max_bytes=10 * MB)
    assert checked.kind == kind and checked.size == len(data)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("script.pdf", b"<html><script>alert(1)</script></html>", "content"),  # mislabelled
        ("photo.png", pdf(), "content"),
        ("virus.docx", b"MZ\x90\x00" + b"\0" * 100, "content"),
        ("table.xlsx", office("docx"), "content"),  # a Word file named as a spreadsheet
        ("page.html", b"<html></html>", "type"),
        ("noext", pdf(), "type"),
        ("image.webp", b"RIFF\0\0\0\0WEBPVP8 ", "type"),  # webp not allowed here
        ("empty.pdf", b"", "empty"),
        ("big.pdf", pdf() + b"\0" * (2 * MB), "size"),
        ("bomb.docx", zip_bomb(), "bomb"),
        ("macro.docx", office("docx", extra={"word/vbaProject.bin": b"\0" * 10}), "macros"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "content"),
    ],
)
def test_rejects_bad_files(name, data, code):
    with pytest.raises(UploadRejected) as caught:
        check_upload(name, data, allowed=ALLOWED, max_bytes=1 * MB)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\план.pdf", "план.pdf"),
        ('a"<b>\x00.pdf', "ab.pdf"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_safe_filename(raw, clean):
    assert safe_filename(raw) == clean


def test_a_long_name_is_trimmed_in_its_stem_and_keeps_its_extension():
    long_name = "Протокол собрания инициативной группы " * 8 + ".pdf"  # 300+ Cyrillic characters
    assert len(long_name) > 300
    name = safe_filename(long_name)
    assert len(name) == 150 and name.endswith(".pdf") and name.startswith("Протокол собрания")
    checked = check_upload(long_name, pdf(), allowed=ALLOWED, max_bytes=MB)
    assert checked.filename == name and checked.kind == "pdf"


def test_a_long_name_without_an_extension_is_cut_and_still_refused():
    name = safe_filename("Ж" * 300)
    assert name == "Ж" * 150
    with pytest.raises(UploadRejected) as caught:
        check_upload("Ж" * 300, pdf(), allowed=ALLOWED, max_bytes=MB)
    assert caught.value.code == "type"

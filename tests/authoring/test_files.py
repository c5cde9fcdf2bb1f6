"""Path safety and atomic writes of lms.authoring.files."""

from __future__ import annotations

import os

import pytest

from lms.authoring import files
from lms.authoring.files import PathRefused, read_disk, resolve, text_hash, write_atomically

LESSON = "tiny-course/01-one/01-first.md"


def test_resolve_a_course_file_inside_the_root(app, courses_dir):
    assert resolve(LESSON) == courses_dir.resolve() / LESSON


@pytest.mark.parametrize(
    "rel",
    [
        "../secret.md",
        "tiny-course/../../secret.md",
        "tiny-course/01-one/../../../etc/passwd.md",
        "tiny-course/./01-one/01-first.md",
        "/etc/passwd.md",
        "/tmp/x.md",
        "C:/x.md",
        "tiny-course\\01-one\\01-first.md",
        "tiny-course/01-one/01-first.md\0.md",
        "tiny-course//01-first.md",
        "tiny-course/.git/config.md",
        "course.md",
        "",
        "tiny-course/01-one/img/dot.png",
        "tiny-course/01-one/01-first.py",
        "tiny-course/01-one",
    ],
)
def test_resolve_refuses(app, courses_dir, rel):
    with pytest.raises(PathRefused):
        resolve(rel)


def test_symlink_escaping_the_root_is_refused(app, courses_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    (courses_dir / "tiny-course" / "escape").symlink_to(outside, target_is_directory=True)
    (courses_dir / "tiny-course" / "leak.md").symlink_to(outside / "secret.md")
    for rel in ("tiny-course/escape/secret.md", "tiny-course/leak.md"):
        with pytest.raises(PathRefused):
            resolve(rel)
        with pytest.raises(PathRefused):
            read_disk(rel)
        with pytest.raises(PathRefused):
            write_atomically({rel: "overwritten"})
    assert (outside / "secret.md").read_text() == "secret"


def test_symlink_staying_inside_the_root_is_refused_too(app, courses_dir):
    """Even a link to another course file: a write through it would change a file the editor does
    not name, so no component may be a symlink."""
    course = courses_dir / "tiny-course"
    (course / "alias.md").symlink_to(course / "01-one" / "01-first.md")
    (course / "01-alias").symlink_to(course / "01-one", target_is_directory=True)
    for rel in ("tiny-course/alias.md", "tiny-course/01-alias/01-first.md"):
        with pytest.raises(PathRefused):
            resolve(rel)


def test_read_disk_returns_text_and_the_importers_hash(app, courses_dir):
    text, digest = read_disk(LESSON)
    raw = (courses_dir / LESSON).read_bytes()
    assert text == raw.decode()
    assert digest == text_hash(text)
    assert read_disk("tiny-course/01-one/99-none.md") == (None, None)


def test_write_atomically_writes_and_undo_restores(app, courses_dir):
    old = (courses_dir / LESSON).read_text()
    new_rel = "tiny-course/03-new/01-fresh.md"
    undo = write_atomically({LESSON: "changed\n", new_rel: "fresh\n"})
    assert (courses_dir / LESSON).read_text() == "changed\n"
    assert (courses_dir / new_rel).read_text() == "fresh\n"
    assert not [p for p in (courses_dir / "tiny-course").rglob(".authoring-*")]
    undo()
    assert (courses_dir / LESSON).read_text() == old
    assert not (courses_dir / new_rel).exists()
    assert not (courses_dir / "tiny-course" / "03-new").exists()


def test_write_atomically_refuses_every_path_before_writing_any(app, courses_dir):
    old = (courses_dir / LESSON).read_text()
    with pytest.raises(PathRefused):
        write_atomically({LESSON: "changed\n", "../evil.md": "x"})
    assert (courses_dir / LESSON).read_text() == old


def test_a_failed_write_undoes_the_ones_done(app, courses_dir, monkeypatch):
    old = (courses_dir / LESSON).read_text()
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomically({LESSON: "changed\n", "tiny-course/02-two/01-third.md": "x\n"})
    assert (courses_dir / LESSON).read_text() == old

"""Drafts: saved without touching disk, stale tokens refused, size limited, audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring.drafts import (
    EditConflict,
    course_drafts,
    create_draft,
    discard_draft,
    effective_tree,
    open_for_edit,
    save_draft,
)
from lms.authoring.files import PathRefused
from lms.authoring.models import Draft
from lms.authoring.services import check_course
from lms.core.errors import ValidationError
from lms.extensions import db

LESSON = "tiny-course/01-one/01-first.md"


@pytest.fixture
def author(make_user):
    return make_user("admin1", role="admin")


def test_open_reads_the_disk_when_there_is_no_draft(app, courses_dir):
    state = open_for_edit(LESSON)
    assert state.source == "disk"
    assert state.text == (courses_dir / LESSON).read_text()
    assert state.disk_text == state.text
    assert not state.disk_changed


def test_save_keeps_the_draft_in_the_database_and_not_on_disk(app, courses_dir, author):
    disk_before = (courses_dir / LESSON).read_text()
    state = open_for_edit(LESSON)
    draft = save_draft(LESSON, state.text + "\r\nMore.\r\n", state.token, author)
    db.session.commit()
    assert draft.version == 1
    assert draft.course_dir == "tiny-course"
    assert draft.text == state.text + "\nMore.\n"  # CRLF from the browser stored as LF
    assert (courses_dir / LESSON).read_text() == disk_before
    again = open_for_edit(LESSON)
    assert again.source == "draft"
    assert again.text == draft.text
    assert again.token != state.token
    second = save_draft(LESSON, "Third.\n", again.token, author)
    assert second.version == 2
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("authoring.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["authoring.save", "authoring.save"]


def test_a_stale_token_is_refused_with_both_versions(app, courses_dir, author):
    state = open_for_edit(LESSON)
    save_draft(LESSON, "From tab one.\n", state.token, author)
    db.session.commit()
    with pytest.raises(EditConflict) as caught:
        save_draft(LESSON, "From tab two.\n", state.token, author)
    assert caught.value.mine == "From tab two.\n"
    assert caught.value.theirs == "From tab one.\n"
    assert caught.value.disk == state.text
    assert open_for_edit(LESSON).text == "From tab one.\n"


def test_the_same_text_sent_twice_is_saved_once(app, courses_dir, author):
    state = open_for_edit(LESSON)
    first = save_draft(LESSON, "Twice.\n", state.token, author)
    again = save_draft(LESSON, "Twice.\n", state.token, author)
    assert again.id == first.id
    assert again.version == 1
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "authoring.save")
    )
    assert events == 1


def test_a_disk_change_makes_the_token_stale(app, courses_dir, author):
    state = open_for_edit(LESSON)
    (courses_dir / LESSON).write_text("Pushed from git.\n")
    with pytest.raises(EditConflict) as caught:
        save_draft(LESSON, "Mine.\n", state.token, author)
    assert caught.value.theirs == "Pushed from git.\n"
    assert caught.value.disk == "Pushed from git.\n"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
    assert (courses_dir / LESSON).read_text() == "Pushed from git.\n"


def test_a_disk_change_under_a_draft_is_flagged_and_a_save_rebases(app, courses_dir, author):
    state = open_for_edit(LESSON)
    save_draft(LESSON, "Draft.\n", state.token, author)
    (courses_dir / LESSON).write_text("Pushed from git.\n")
    reopened = open_for_edit(LESSON)
    assert reopened.disk_changed
    assert reopened.text == "Draft.\n"
    assert reopened.disk_text == "Pushed from git.\n"
    save_draft(LESSON, "Draft, merged.\n", reopened.token, author)
    assert not open_for_edit(LESSON).disk_changed


def test_size_limit(app, courses_dir, author):
    app.config["AUTHORING_MAX_FILE_BYTES"] = 100
    state = open_for_edit(LESSON)
    with pytest.raises(ValidationError) as caught:
        save_draft(LESSON, "я" * 51, state.token, author)  # 102 bytes in UTF-8
    assert caught.value.code == "too_large"
    assert caught.value.field == "text"
    save_draft(LESSON, "я" * 50, state.token, author)


def test_refused_paths(app, courses_dir, author):
    with pytest.raises(PathRefused):
        open_for_edit("../x.md")
    with pytest.raises(PathRefused):
        save_draft("tiny-course/../../x.md", "x", "token", author)
    with pytest.raises(PathRefused):
        create_draft("/etc/x.md", "x", author)


def test_create_draft_for_a_new_file_only(app, courses_dir, author):
    rel = "tiny-course/01-one/03-new.md"
    draft = create_draft(rel, "New.\n", author)
    assert draft.base_hash is None
    assert not (courses_dir / rel).exists()
    state = open_for_edit(rel)
    assert state.source == "draft"
    assert not state.disk_changed
    with pytest.raises(ValidationError):
        create_draft(rel, "Again.\n", author)
    with pytest.raises(ValidationError):
        create_draft(LESSON, "Exists on disk.\n", author)


def test_course_drafts_and_discard(app, courses_dir, author):
    create_draft("tiny-course/02-two/02-b.md", "b", author)
    create_draft("tiny-course/01-one/03-a.md", "a", author)
    assert [d.path for d in course_drafts("tiny-course")] == [
        "tiny-course/01-one/03-a.md",
        "tiny-course/02-two/02-b.md",
    ]
    assert course_drafts("other") == []
    assert discard_draft("tiny-course/01-one/03-a.md", author)
    assert not discard_draft("tiny-course/01-one/03-a.md", author)
    assert [d.path for d in course_drafts("tiny-course")] == ["tiny-course/02-two/02-b.md"]


def test_effective_tree_lays_drafts_over_a_copy(app, courses_dir, author):
    state = open_for_edit(LESSON)
    save_draft(LESSON, "Draft text.\n", state.token, author)
    create_draft("tiny-course/01-one/03-new.md", "New.\n", author)
    disk = (courses_dir / LESSON).read_text()
    with effective_tree("tiny-course") as root:
        assert (root / LESSON).read_text() == "Draft text.\n"
        assert (root / "tiny-course/01-one/03-new.md").read_text() == "New.\n"
        assert (root / "tiny-course/02-two/01-third.md").read_text() == (
            courses_dir / "tiny-course/02-two/01-third.md"
        ).read_text()
    assert not root.exists()
    assert (courses_dir / LESSON).read_text() == disk
    assert not (courses_dir / "tiny-course/01-one/03-new.md").exists()


def test_the_editors_check_reads_the_other_courses_but_no_symlink_out_of_the_courses_folder(
    app, courses_dir, author, tmp_path_factory
):
    """The effective tree links the other courses in: their files are read (a course id taken by
    one of them is found), while a lesson that is a symlink to a server file is E215."""
    course_md = courses_dir / "tiny-course/course.md"
    clean = course_md.read_text(encoding="utf-8")
    course_md.write_text(clean.replace("id: tiny-course", "id: ex-course", 1), encoding="utf-8")
    codes = [(p.path, p.code) for p in check_course("tiny-course").problems if p.is_error]
    assert ("tiny-course/course.md", "E201") in codes, codes
    course_md.write_text(clean, encoding="utf-8")

    outside = tmp_path_factory.mktemp("server") / "secret.md"
    outside.write_text("---\nid: secret\ntitle: Секрет\n---\nпароль\n", encoding="utf-8")
    lesson = courses_dir / LESSON
    lesson.unlink()
    lesson.symlink_to(outside)
    codes = [(p.path, p.code) for p in check_course("tiny-course").problems if p.is_error]
    assert codes == [(LESSON, "E215")]

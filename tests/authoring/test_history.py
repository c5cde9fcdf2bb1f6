"""History: each publish recorded with its files' texts and hashes, committed to git with the
instructor as author when the courses folder is a git work tree; diffs; restore as a draft."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring import history
from lms.authoring.drafts import EditConflict, get_draft, open_for_edit
from lms.authoring.files import text_hash
from lms.authoring.history import DiffLine, Publication, PublicationFile, diff_lines
from lms.authoring.publish import publish_course
from lms.extensions import db
from tests.authoring.conftest import LESSON, MODULE, git

V2 = "---\nid: l-one\ntitle: Первый урок\n---\nВторая редакция.\n"
V3 = "---\nid: l-one\ntitle: Первый урок\n---\nТретья редакция, <b>с тегом</b>.\n"


def publish(rel: str, text: str, user, edit) -> Publication:
    edit(rel, text, user)
    publication = publish_course("tiny-course", user)
    db.session.commit()
    return publication


def test_a_publish_is_recorded_with_who_when_files_and_hashes(app, courses_dir, imported, teacher, edit):
    before = (courses_dir / LESSON).read_text(encoding="utf-8")
    publication = publish(LESSON, V2, teacher, edit)
    row = db.session.get(Publication, publication.id)
    assert (row.course_dir, row.user_id, row.git_commit) == ("tiny-course", teacher.id, None)
    assert row.created_at is not None
    [file] = row.files
    assert (file.path, file.old_hash, file.new_hash) == (LESSON, text_hash(before), text_hash(V2))
    assert file.text == V2 and file.old_text == before  # the first recorded publish keeps the old text


def test_later_versions_diff_against_the_previous_one(app, courses_dir, imported, teacher, edit):
    publish(LESSON, V2, teacher, edit)
    publish(LESSON, V3, teacher, edit)
    versions = history.file_history(LESSON)
    assert [v.number for v in versions] == [2, 1]
    newest, first = versions[0].row, versions[1].row
    assert newest.old_text is None and newest.old_hash == text_hash(V2)
    assert history.previous_text(newest) == V2
    assert history.previous_text(first) == first.old_text
    assert history.file_history(MODULE) == []


def test_publish_commits_exactly_its_files_with_the_instructor_as_author(
    app, git_courses, imported, teacher, edit
):
    teacher.full_name, teacher.email = "Ирина Петрова", "irina@example.org"
    db.session.commit()
    unrelated = git_courses / "tiny-course/02-two/01-third.md"
    unrelated.write_text(unrelated.read_text(encoding="utf-8") + "\nНе моё.\n", encoding="utf-8")

    publication = publish(LESSON, V2, teacher, edit)

    head = git(git_courses, "rev-parse", "HEAD")
    assert publication.git_commit == head
    assert git(git_courses, "log", "-1", "--format=%an <%ae>") == "Ирина Петрова <irina@example.org>"
    assert git(git_courses, "show", "--name-only", "--format=", "HEAD").splitlines() == [LESSON]
    assert git(git_courses, "show", f"HEAD:{LESSON}") == V2.rstrip("\n")
    assert git(git_courses, "status", "--porcelain") == "M tiny-course/02-two/01-third.md"


def test_a_work_tree_without_identity_still_commits(app, git_courses, imported, teacher, edit):
    git(git_courses, "config", "--unset", "user.email")
    git(git_courses, "config", "--unset", "user.name")
    publication = publish(LESSON, V2, teacher, edit)
    assert publication.git_commit == git(git_courses, "rev-parse", "HEAD")
    assert git(git_courses, "log", "-1", "--format=%an").startswith("teacher1")


def test_git_missing_never_fails_the_publish(app, git_courses, imported, teacher, edit, monkeypatch):
    def broken(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(history.subprocess, "run", broken)
    publication = publish(LESSON, V2, teacher, edit)
    assert (publication.git_commit, publication.git_pending) == (None, False)  # no git: nothing to wait for
    assert (git_courses / LESSON).read_text(encoding="utf-8") == V2


def test_diff_lines_marks_removed_added_and_kept_lines():
    old = "\n".join(f"строка {n}" for n in range(1, 11))
    new = old.replace("строка 2", "строка два").replace("строка 9\n", "")
    rows = diff_lines(old, new, context=1)
    assert rows == [
        DiffLine("same", 1, 1, "строка 1"),
        DiffLine("del", 2, None, "строка 2"),
        DiffLine("ins", None, 2, "строка два"),
        DiffLine("same", 3, 3, "строка 3"),
        DiffLine("gap", None, None, ""),
        DiffLine("same", 8, 8, "строка 8"),
        DiffLine("del", 9, None, "строка 9"),
        DiffLine("same", 10, 9, "строка 10"),
    ]
    assert diff_lines(old, old) == []
    assert [row.kind for row in diff_lines(None, "a\nb")] == ["ins", "ins"]


def test_restore_makes_a_draft_never_a_disk_write(app, courses_dir, imported, teacher, edit):
    publish(LESSON, V2, teacher, edit)
    publish(LESSON, V3, teacher, edit)
    first = history.file_history(LESSON)[1].row
    history.restore_as_draft(first, open_for_edit(LESSON).token, teacher)
    db.session.commit()
    assert (courses_dir / LESSON).read_text(encoding="utf-8") == V3
    assert get_draft(LESSON).text == V2
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "authoring.restore"))
    assert event.actor_id == teacher.id and event.details["version"] == first.id


def test_restore_over_a_stale_state_is_a_conflict(app, courses_dir, imported, teacher, admin, edit):
    publish(LESSON, V2, teacher, edit)
    token = open_for_edit(LESSON).token  # the history page was shown
    edit(LESSON, "---\nid: l-one\ntitle: Первый урок\n---\nЧерновик коллеги.\n", admin)
    row = history.file_history(LESSON)[0].row
    with pytest.raises(EditConflict) as caught:
        history.restore_as_draft(row, token, teacher)
    assert caught.value.mine == V2 and "Черновик коллеги" in caught.value.theirs
    db.session.rollback()
    assert "Черновик коллеги" in get_draft(LESSON).text


def test_a_deleted_file_is_restored_as_a_new_draft(app, courses_dir, imported, teacher, edit):
    publish(LESSON, V2, teacher, edit)
    row = history.file_history(LESSON)[0].row
    (courses_dir / LESSON).unlink()  # removed through git meanwhile
    history.restore_as_draft(row, open_for_edit(LESSON).token, teacher)
    db.session.commit()
    draft = get_draft(LESSON)
    assert draft.text == V2 and draft.base_hash is None
    assert not (courses_dir / LESSON).exists()


def test_a_publish_without_drafts_records_no_files(app, courses_dir, imported, teacher):
    publication = publish_course("tiny-course", teacher)
    db.session.commit()
    assert publication.files == [] and publication.git_commit is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicationFile)) == 0

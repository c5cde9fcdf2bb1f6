"""Publish and git: the git commit follows the database commit. A publish that fails leaves git
exactly as it was; a git commit that fails leaves the publication stored and pending, committed
by the next publish or `flask lms publish-git`."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lms.authoring import history
from lms.authoring import publish as publish_module
from lms.authoring.history import Publication
from lms.authoring.models import Draft
from lms.authoring.publish import PublishRefused, publish_course
from lms.content.models import Lesson
from lms.content.problems import ContentError, Problem
from lms.extensions import db
from tests.authoring.conftest import LESSON, MODULE, git
from tests.conftest import csrf_from

V2 = "---\nid: l-one\ntitle: Первый урок, v2\n---\nВторая редакция.\n"
V3 = "---\nid: l-one\ntitle: Первый урок, v3\n---\nТретья редакция.\n"


def git_state(root: Path) -> tuple[str, str, str, dict[str, str]]:
    """HEAD, the index (mode, blob, stage, path), `git status` and every work tree file's hash."""
    files = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
    return (
        git(root, "rev-parse", "HEAD"),
        git(root, "ls-files", "-s"),
        git(root, "status", "--porcelain", "--untracked-files=all"),
        files,
    )


def failing_hook(root: Path) -> Path:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by the hook' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    return hook


def pending() -> list[int]:
    db.session.rollback()  # a fresh snapshot: git's follow-ups commit in a session of their own
    return list(db.session.scalars(sa.select(Publication.id).where(Publication.git_pending.is_(True))))


def assert_commit_is(root: Path, rev: str, publication: Publication) -> None:
    """The commit changes exactly the publication's files, to exactly its texts."""
    changed = git(root, "diff-tree", "--no-commit-id", "--name-only", "-r", rev).splitlines()
    assert changed == sorted(row.path for row in publication.files)
    for row in publication.files:
        assert git(root, "cat-file", "blob", f"{rev}:{row.path}") == row.text.rstrip("\n")
    assert f"LMS-Publication: {publication.id}" in git(root, "log", "-1", "--format=%B", rev)


def test_a_publish_makes_exactly_one_commit_matching_its_publication(
    app, git_courses, imported, teacher, edit
):
    module_text = (git_courses / MODULE).read_text(encoding="utf-8").replace("\n---\n", "\n---\nПравка.\n", 1)
    before = git(git_courses, "rev-parse", "HEAD")
    edit(LESSON, V2, teacher)
    edit(MODULE, module_text, teacher)
    publication = publish_course("tiny-course", teacher)
    assert git(git_courses, "rev-parse", "HEAD") == before  # nothing in git before the database commit
    db.session.commit()

    assert git(git_courses, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert git(git_courses, "rev-parse", "HEAD^") == before
    row = db.session.get(Publication, publication.id)
    assert (row.git_commit, row.git_pending) == (git(git_courses, "rev-parse", "HEAD"), False)
    assert_commit_is(git_courses, "HEAD", row)
    assert git(git_courses, "status", "--porcelain") == ""  # index and work tree agree with the commit


def test_a_rolled_back_publish_leaves_git_exactly_as_before(app, git_courses, imported, teacher, edit):
    """The database commit fails on a real constraint after the import ran: no commit, the index
    and the work tree as they were (the draft's file put back)."""
    edit(LESSON, V2, teacher)
    before = git_state(git_courses)
    publish_course("tiny-course", teacher)
    db.session.add(Draft(path=MODULE, course_dir="tiny-course", text="x"))
    db.session.add(Draft(path=MODULE, course_dir="tiny-course", text="y"))  # unique path: the commit fails
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert git_state(git_courses) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def test_a_refused_import_through_the_page_leaves_git_exactly_as_before(
    client, auth, git_courses, imported, teacher, edit, monkeypatch
):
    edit(LESSON, V2, teacher)
    before = git_state(git_courses)
    real_sync = publish_module.sync_course

    def refusing_import(root, folder, **kwargs):
        real_sync(root, folder, **kwargs)  # the course is imported, then refused: all must go
        raise ContentError([Problem(LESSON, 1, 1, "E999", "refused by the importer")])

    monkeypatch.setattr(publish_module, "sync_course", refusing_import)
    auth.login("teacher1")
    page = client.get("/author/").get_data(as_text=True)
    response = client.post("/author/publish/tiny-course", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert git_state(git_courses) == before
    db.session.expire_all()
    assert db.session.scalar(sa.select(Lesson.title).where(Lesson.key == "l-one")) == "Первый урок"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def test_a_failed_git_commit_keeps_the_publication_pending_until_publish_git(
    app, git_courses, imported, teacher, edit, runner
):
    hook = failing_hook(git_courses)
    head, index, _status, _files = git_state(git_courses)
    edit(LESSON, V2, teacher)
    publication = publish_course("tiny-course", teacher)
    db.session.commit()  # the hook refuses the git commit that follows

    row = db.session.get(Publication, publication.id)
    assert (row.git_commit, row.git_pending) == (None, True)
    assert (git_courses / LESSON).read_text(encoding="utf-8") == V2  # the publish stands
    assert db.session.scalar(sa.select(Lesson.title).where(Lesson.key == "l-one")) == "Первый урок, v2"
    assert git(git_courses, "rev-parse", "HEAD") == head and git(git_courses, "ls-files", "-s") == index

    refused = runner.invoke(args=["lms", "publish-git"])
    assert refused.exit_code == 1 and pending() == [publication.id]
    assert git(git_courses, "rev-parse", "HEAD") == head

    hook.unlink()
    result = runner.invoke(args=["lms", "publish-git"])
    assert result.exit_code == 0, result.output
    assert re.search(r"1\D+0", result.output)
    assert pending() == []
    row = db.session.get(Publication, publication.id)
    assert row.git_commit == git(git_courses, "rev-parse", "HEAD")
    assert git(git_courses, "rev-parse", "HEAD^") == head
    assert_commit_is(git_courses, "HEAD", row)
    assert git(git_courses, "status", "--porcelain") == ""


def test_the_next_publish_commits_the_pending_ones_first_each_with_its_own_texts(
    app, git_courses, imported, teacher, edit
):
    hook = failing_hook(git_courses)
    head = git(git_courses, "rev-parse", "HEAD")
    edit(LESSON, V2, teacher)
    first = publish_course("tiny-course", teacher).id
    db.session.commit()
    hook.unlink()
    edit(LESSON, V3, teacher)  # the disk now says V3: the first commit must still hold V2
    second = publish_course("tiny-course", teacher).id
    db.session.commit()

    assert pending() == []
    rows = [db.session.get(Publication, first), db.session.get(Publication, second)]
    commits = git(git_courses, "rev-list", "--reverse", f"{head}..HEAD").splitlines()
    assert commits == [row.git_commit for row in rows]
    assert_commit_is(git_courses, rows[0].git_commit, rows[0])
    assert_commit_is(git_courses, rows[1].git_commit, rows[1])
    assert git(git_courses, "cat-file", "blob", f"{rows[0].git_commit}:{LESSON}") == V2.rstrip("\n")


def test_a_commit_whose_row_update_was_lost_is_not_made_twice(app, git_courses, imported, teacher, edit):
    hook = failing_hook(git_courses)
    edit(LESSON, V2, teacher)
    publication = publish_course("tiny-course", teacher)
    db.session.commit()
    hook.unlink()
    made = history.commit_to_git(db.session.get(Publication, publication.id))  # the row never heard of it
    assert pending() == [publication.id]

    assert history.commit_pending() == 1
    db.session.rollback()  # a fresh snapshot: the run committed in a session of its own
    row = db.session.get(Publication, publication.id)
    assert (row.git_commit, row.git_pending) == (made, False)
    assert git(git_courses, "rev-parse", "HEAD") == made
    assert history.commit_pending() == 0


def test_courses_in_a_subfolder_of_the_repository(app, courses_dir, imported, teacher, edit):
    """COURSES_DIR inside a bigger work tree: paths in the commit carry the folder's prefix."""
    repo = courses_dir.parent
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Maintainer")
    git(repo, "config", "user.email", "maintainer@example.org")
    git(repo, "add", "courses")
    git(repo, "commit", "-q", "-m", "initial")
    edit(LESSON, V2, teacher)
    publication = publish_course("tiny-course", teacher)
    db.session.commit()
    row = db.session.get(Publication, publication.id)
    assert row.git_commit == git(repo, "rev-parse", "HEAD")
    assert git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD") == f"courses/{LESSON}"
    assert git(repo, "status", "--porcelain", "--", "courses") == ""


def test_a_refused_publish_touches_nothing(app, git_courses, imported, teacher, edit):
    edit(LESSON, "---\nid: l-one\ntitle: Первый урок\nminutes: много\n---\nТекст.\n", teacher)
    before = git_state(git_courses)
    with pytest.raises(PublishRefused):
        publish_course("tiny-course", teacher)
    db.session.rollback()
    assert git_state(git_courses) == before


def test_two_runs_at_once_commit_each_publication_once_and_in_order(
    app, git_courses, imported, teacher, edit
):
    """Two tabs' publishes finishing together: both runs of the git step go through the rows."""
    hook = failing_hook(git_courses)
    head = git(git_courses, "rev-parse", "HEAD")
    ids = []
    for text in (V2, V3):
        edit(LESSON, text, teacher)
        ids.append(publish_course("tiny-course", teacher).id)
        db.session.commit()
    hook.unlink()
    assert pending() == ids
    db.session.commit()

    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            start.wait()
            try:
                counts.append(history.commit_pending())
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(counts) in ([0, 2], [1, 1])
    assert pending() == []
    rows = [db.session.get(Publication, publication_id) for publication_id in ids]
    commits = git(git_courses, "rev-list", "--reverse", f"{head}..HEAD").splitlines()
    assert commits == [row.git_commit for row in rows]
    assert git(git_courses, "cat-file", "blob", f"{commits[0]}:{LESSON}") == V2.rstrip("\n")
    assert git(git_courses, "cat-file", "blob", f"{commits[1]}:{LESSON}") == V3.rstrip("\n")


def test_a_publish_without_files_still_commits_what_is_pending(app, git_courses, imported, teacher, edit):
    hook = failing_hook(git_courses)
    edit(LESSON, V2, teacher)
    publication = publish_course("tiny-course", teacher)
    db.session.commit()
    hook.unlink()
    assert publish_course("tiny-course", teacher).git_pending is False  # no drafts: nothing of its own
    db.session.commit()
    assert pending() == []
    assert db.session.get(Publication, publication.id).git_commit == git(git_courses, "rev-parse", "HEAD")

"""Importing the course tree into SQL: incremental, transactional, keeping progress."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from lms.content.models import Course, Lesson, Module
from lms.content.problems import ContentError
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment, LessonProgress


def lesson(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def rewrite(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def import_tree(courses_dir):
    report = sync_tree(courses_dir)
    db.session.commit()
    return report


def test_first_import_adds_everything(app, courses_dir):
    report = import_tree(courses_dir)
    assert "course tiny-course" in report.added
    assert {"lesson l-one", "lesson l-two", "lesson l-three"} <= set(report.added)
    course = db.session.scalar(sa.select(Course))
    assert course.key == "tiny-course" and course.lesson_count == 3
    assert [m.key for m in course.modules] == ["m-one", "m-two"]
    assert "<" in lesson("l-one").html  # rendered once, at import


def test_reimport_with_nothing_changed_writes_nothing(app, courses_dir):
    import_tree(courses_dir)
    before = {row.key: (row.updated_at, row.version) for row in db.session.scalars(sa.select(Lesson))}
    report = import_tree(courses_dir)
    assert not report.touched
    assert report.unchanged >= 6
    after = {row.key: (row.updated_at, row.version) for row in db.session.scalars(sa.select(Lesson))}
    assert before == after


def test_changed_file_is_reported_and_versioned(app, courses_dir):
    import_tree(courses_dir)
    file = _file_of(courses_dir, "l-two")
    file.write_text(file.read_text(encoding="utf-8") + "\n\nНовый абзац про отчётность.\n", encoding="utf-8")
    report = import_tree(courses_dir)
    assert report.changed == ["lesson l-two"]
    assert lesson("l-two").version == 2
    assert "Новый абзац" in lesson("l-two").html
    assert lesson("l-one").version == 1


def _file_of(courses_dir, key: str):
    for path in courses_dir.rglob("*.md"):
        if f"\nid: {key}\n" in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError(f"no file with id {key}")


def _complete(make_user, *keys: str):
    user = make_user("anna")
    for key in keys:
        progress.complete_lesson(user, lesson(key))
    db.session.commit()
    return user


def test_progress_survives_file_rename_and_reordering(app, courses_dir, make_user):
    import_tree(courses_dir)
    user = _complete(make_user, "l-one")
    file = _file_of(courses_dir, "l-one")
    renamed = file.with_name("renamed-lesson.md")
    file.rename(renamed)
    module_file = renamed.parent / "module.md"
    for other in courses_dir.rglob("*.md"):  # the author updates links to the renamed file
        text = other.read_text(encoding="utf-8")
        other.write_text(text.replace(file.name, renamed.name), encoding="utf-8")
    # put the renamed lesson last in its module
    text = module_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    item_lines = [i for i, line in enumerate(lines) if line.strip().startswith("- ")]
    moved = lines.pop(next(i for i in item_lines if renamed.name in lines[i]))
    last_item = max(i for i, line in enumerate(lines) if line.strip().startswith("- "))
    lines.insert(last_item + 1, moved)
    module_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_tree(courses_dir)
    assert "lesson l-one" not in report.added
    assert lesson("l-one").path_in_course.endswith("renamed-lesson.md")
    assert progress.count_completed_live(user.id, lesson("l-one").course_id) == 1
    enrolment = db.session.scalar(sa.select(Enrolment))
    assert enrolment.lessons_done == 1


def test_id_rename_with_renamed_from_keeps_progress(app, courses_dir, make_user):
    import_tree(courses_dir)
    user = _complete(make_user, "l-two")
    file = _file_of(courses_dir, "l-two")
    rewrite(file, "\nid: l-two\n", "\nid: l-two-new\nrenamed_from: [l-two]\n")
    report = import_tree(courses_dir)
    assert report.renamed == ["lesson l-two → l-two-new"]
    assert lesson("l-two") is None
    renamed = lesson("l-two-new")
    row = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == user.id))
    assert row.lesson_id == renamed.id and row.completed_at is not None


def _remove_lesson(courses_dir, key: str) -> None:
    file = _file_of(courses_dir, key)
    module_file = file.parent / "module.md"
    text = module_file.read_text(encoding="utf-8")
    module_file.write_text(
        "\n".join(line for line in text.splitlines() if line.strip() != f"- {file.name}") + "\n",
        encoding="utf-8",
    )
    file.unlink()


def test_deleted_lesson_with_progress_is_archived(app, courses_dir, make_user):
    import_tree(courses_dir)
    user = _complete(make_user, "l-one", "l-two")
    _remove_lesson(courses_dir, "l-two")
    report = import_tree(courses_dir)
    assert report.archived == ["lesson l-two"]
    assert lesson("l-two").archived_at is not None
    course = db.session.scalar(sa.select(Course))
    assert course.lesson_count == 2
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.lessons_done == 1, "archived lessons no longer count toward progress"


def test_deleted_lesson_without_progress_is_deleted(app, courses_dir):
    import_tree(courses_dir)
    _remove_lesson(courses_dir, "l-two")
    report = import_tree(courses_dir)
    assert report.deleted == ["lesson l-two"]
    assert lesson("l-two") is None


def test_restored_lesson_comes_back_with_its_progress(app, courses_dir, make_user, tmp_path):
    import_tree(courses_dir)
    _complete(make_user, "l-two")
    backup = tmp_path / "backup"
    shutil.copytree(courses_dir, backup)
    _remove_lesson(courses_dir, "l-two")
    import_tree(courses_dir)
    shutil.rmtree(courses_dir)
    shutil.copytree(backup, courses_dir)
    report = import_tree(courses_dir)
    assert report.restored == ["lesson l-two"]
    assert db.session.scalar(sa.select(Enrolment)).lessons_done == 1


def test_broken_tree_imports_nothing(app, courses_dir):
    import_tree(courses_dir)
    titles_before = sorted(db.session.scalars(sa.select(Lesson.title)))
    file = _file_of(courses_dir, "l-three")
    rewrite(file, "title:", "title: [unclosed\ntitle2:")
    first = _file_of(courses_dir, "l-two")
    first.write_text(
        first.read_text(encoding="utf-8").replace("title:", "title: Изменённый урок\nold_title:", 1),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        sync_tree(courses_dir)
    db.session.rollback()
    assert len(caught.value.problems) >= 2
    assert all(":" in str(problem) for problem in caught.value.problems)
    assert sorted(db.session.scalars(sa.select(Lesson.title))) == titles_before


def test_module_moves_keep_ids(app, courses_dir):
    import_tree(courses_dir)
    course_file = courses_dir / db.session.scalar(sa.select(Course)).folder / "course.md"
    text = course_file.read_text(encoding="utf-8")
    modules = [m.folder for m in db.session.scalars(sa.select(Module).order_by(Module.position))]
    first, second = modules
    text = (
        text.replace(f"- {first}\n", "- @@\n")
        .replace(f"- {second}\n", f"- {first}\n")
        .replace("- @@\n", f"- {second}\n")
    )
    course_file.write_text(text, encoding="utf-8")
    import_tree(courses_dir)
    assert [m.folder for m in db.session.scalars(sa.select(Module).order_by(Module.position))] == [
        second,
        first,
    ]


def test_a_module_folder_name_longer_than_its_column_imports_nothing(app, courses_dir):
    # Folders are stored in 200 characters: PostgreSQL stopped the import with a traceback, SQLite
    # imported the name whole.
    course = courses_dir / "tiny-course"
    (course / "02-two").rename(course / ("m" * 201))
    for path in (course / "course.md", course / "01-one" / "01-first.md"):
        path.write_text(path.read_text("utf-8").replace("02-two", "m" * 201), "utf-8")
    with pytest.raises(ContentError, match=r"course.md:9:5: E216 module folder name 'm+' is too long"):
        sync_tree(courses_dir)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0

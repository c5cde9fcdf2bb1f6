"""Publishing: lint first, files and import together, learner data kept by the importer's rules."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring.drafts import EditConflict, course_drafts, open_for_edit
from lms.authoring.publish import PublishRefused, publish_course
from lms.authoring.services import check_course, course_tree
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.progress.services import complete_lesson, enrol
from lms.quizzes.models import Attempt, QuestionVersion
from lms.quizzes.services import attempt_questions, start_attempt, submit_attempt
from tests.authoring.conftest import LESSON, MODULE, QUIZ
from tests.quizzes.conftest import full_form

NEW_TEXT = "---\nid: l-one\ntitle: Первый урок, новая редакция\n---\nНовый **текст** урока.\n"


def lesson(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def test_publish_writes_the_draft_and_imports_the_course(app, courses_dir, imported, admin, edit):
    edit(LESSON, NEW_TEXT, admin)
    publish_course("tiny-course", admin)
    db.session.commit()
    assert (courses_dir / LESSON).read_text() == NEW_TEXT
    row = lesson("l-one")
    assert row.title == "Первый урок, новая редакция"
    assert "<strong>текст</strong>" in row.html
    assert course_drafts("tiny-course") == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "authoring.publish"))
    assert event.details["files"] == [LESSON]


def test_publish_stores_the_images_the_course_shows(app, courses_dir, imported, admin, edit):
    """The one-course import does what `flask lms import` does for assets: versioned image URLs."""
    edit(LESSON, NEW_TEXT + "\n![Точка](img/dot.png)\n", admin)
    publish_course("tiny-course", admin)
    db.session.commit()
    assert re.search(r'src="/courses/tiny-course/assets/01-one/img/dot\.png\?v=\w+"', lesson("l-one").html)


def test_lint_errors_refuse_with_the_list_and_write_nothing(app, courses_dir, imported, admin, edit):
    disk = (courses_dir / LESSON).read_text()
    edit(LESSON, "---\nid: l-one\ntitle: Первый урок\nminutes: много\n---\nТекст.\n", admin)
    with pytest.raises(PublishRefused) as caught:
        publish_course("tiny-course", admin)
    assert caught.value.problems
    assert all(problem.path == LESSON and problem.is_error for problem in caught.value.problems)
    assert caught.value.problems[0].line == 4
    assert (courses_dir / LESSON).read_text() == disk
    assert [draft.path for draft in course_drafts("tiny-course")] == [LESSON]


def test_a_file_changed_on_disk_under_its_draft_refuses_publish(app, courses_dir, imported, admin, edit):
    edit(LESSON, NEW_TEXT, admin)
    (courses_dir / LESSON).write_text("---\nid: l-one\ntitle: Из git\n---\nИз git.\n")
    with pytest.raises(EditConflict) as caught:
        publish_course("tiny-course", admin)
    assert caught.value.rel == LESSON
    assert caught.value.disk.endswith("Из git.\n")
    assert (courses_dir / LESSON).read_text().endswith("Из git.\n")
    assert lesson("l-one").title == "Первый урок"


def test_a_failed_import_puts_the_files_back(app, courses_dir, imported, admin, edit, monkeypatch):
    from lms.authoring import publish

    disk = (courses_dir / LESSON).read_text()
    edit(LESSON, NEW_TEXT, admin)

    def broken_import(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(publish, "sync_course", broken_import)
    with pytest.raises(RuntimeError):
        publish_course("tiny-course", admin)
    assert (courses_dir / LESSON).read_text() == disk


def test_a_rolled_back_publish_puts_the_files_back(app, courses_dir, imported, admin, edit):
    disk = (courses_dir / LESSON).read_text()
    edit(LESSON, NEW_TEXT, admin)
    publish_course("tiny-course", admin)
    assert (courses_dir / LESSON).read_text() == NEW_TEXT
    db.session.rollback()  # the request failed after the service ran
    assert (courses_dir / LESSON).read_text() == disk
    assert [draft.path for draft in course_drafts("tiny-course")] == [LESSON]


def test_publish_imports_only_its_course(app, courses_dir, imported, admin, edit):
    """Another course broken on disk neither blocks the publish nor gets imported."""
    other = courses_dir / "other-course"
    other.mkdir()
    (other / "course.md").write_text("---\nid: other\ntitle: [broken\n---\n")
    edit(LESSON, NEW_TEXT, admin)
    publish_course("tiny-course", admin)
    db.session.commit()
    assert lesson("l-one").title == "Первый урок, новая редакция"
    assert db.session.scalar(sa.select(Course).where(Course.key == "other")) is None


def test_progress_stays_when_the_text_changes(app, courses_dir, imported, admin, edit, make_user):
    candidate = make_user("cand1")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    enrol(candidate, course)
    complete_lesson(candidate, lesson("l-one"))
    db.session.commit()
    before = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == candidate.id))
    completed_at, lesson_id = before.completed_at, before.lesson_id
    edit(LESSON, NEW_TEXT, admin)
    publish_course("tiny-course", admin)
    db.session.commit()
    db.session.expire_all()
    after = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == candidate.id))
    assert (after.lesson_id, after.completed_at) == (lesson_id, completed_at)
    assert lesson("l-one").id == lesson_id


def test_a_removed_item_is_archived_with_its_progress(app, courses_dir, imported, admin, edit, make_user):
    candidate = make_user("cand1")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    enrol(candidate, course)
    complete_lesson(candidate, lesson("l-two"))
    db.session.commit()
    module = open_for_edit(MODULE).text.replace("  - 02-second.md\n", "")
    edit(MODULE, module, admin)
    publish_course("tiny-course", admin)
    db.session.commit()
    db.session.expire_all()
    removed = lesson("l-two")
    assert removed.archived_at is not None
    progress = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.lesson_id == removed.id))
    assert progress.completed_at is not None


def test_check_course_lays_unsaved_text_over_the_drafts(app, courses_dir, imported, admin, edit):
    edit(LESSON, NEW_TEXT, admin)
    checked = check_course("tiny-course", LESSON, "---\nid: l-one\ntitle: Ещё не сохранено\n---\n*Курсив*\n")
    assert checked.item.title == "Ещё не сохранено"
    assert "<em>Курсив</em>" in checked.item.html
    assert checked.item.module_title == "Первый модуль"
    assert checked.errors == []
    broken = check_course("tiny-course", LESSON, "---\nid: l-one\n---\nТекст\n")
    assert [problem.path for problem in broken.errors] == [LESSON]


def test_course_tree_states(app, courses_dir, imported, admin, edit):
    edit(LESSON, "---\nid: l-one\ntitle: Первый урок\nminutes: много\n---\nТекст.\n", admin)
    pulled = "---\nid: l-three\ntitle: Из git\n---\nНовое.\n"
    (courses_dir / "tiny-course/02-two/01-third.md").write_text(pulled)
    tree = course_tree("tiny-course")
    states = {}
    for module in tree.root.children:
        states[module.rel] = module
        for item in module.children:
            states[item.rel] = item
    first, second, third = (
        states[LESSON],
        states["tiny-course/01-one/02-second.md"],
        states["tiny-course/02-two/01-third.md"],
    )
    assert (first.draft, first.errors > 0, first.published) == (True, True, False)
    assert (second.draft, second.errors, second.changed_on_disk, second.published) == (False, 0, False, True)
    assert (third.changed_on_disk, third.published) == (True, False)
    assert third.title == "Из git"
    assert tree.root.kind == "course"
    assert first.kind == "lesson"


def test_quiz_attempts_keep_the_question_versions_they_answered(
    app, courses_dir, imported, admin, edit, make_user
):
    candidate = make_user("cand1")
    quiz = lesson("q-all")
    attempt = start_attempt(candidate, quiz)
    submit_attempt(attempt, full_form(quiz, attempt, right=True))
    db.session.commit()
    answered = {item["key"]: item["version_id"] for item in attempt.layout}
    score = attempt.score
    # The author moves the right answer of the first question from `schet` to `kassa`.
    text = open_for_edit(QUIZ).text.replace("- [x] schet:", "- [ ] schet:")
    edit(QUIZ, text.replace("- [ ] kassa:", "- [x] kassa:"), admin)
    publish_course("quiz-course", admin)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Attempt, attempt.id)
    assert {item["key"]: item["version_id"] for item in kept.layout} == answered
    assert kept.score == score
    old = db.session.get(QuestionVersion, answered["fond-schet"])
    assert [o["key"] for o in old.data["options"] if o["correct"]] == ["schet"]
    versions = db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.question_key == "fond-schet")
    ).all()
    assert len(versions) == 2
    served = {item["key"]: data for item, data in attempt_questions(kept)}
    assert [o["key"] for o in served["fond-schet"]["options"] if o["correct"]] == ["schet"]

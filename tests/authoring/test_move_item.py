"""Moving an item to another module: drafts only (the text at the new path, a removal draft at the
old one, both lists, links it would break rewritten), the id kept, so after publish the importer
carries the item's row over with everyone's progress and attempts; bad targets, stale lists and
disk changes refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring import history, structure
from lms.authoring.drafts import EditConflict, discard_draft, effective_tree, open_for_edit
from lms.authoring.files import courses_root, write_atomically
from lms.authoring.frontmatter_edit import read_list, read_value
from lms.authoring.history import PublicationFile
from lms.authoring.models import Draft
from lms.authoring.publish import PublishRefused, publish_course
from lms.authoring.services import course_tree
from lms.content.loader import check_tree
from lms.content.models import Course, Lesson, Module
from lms.core.errors import ValidationError
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.progress.services import complete_lesson, enrol
from lms.quizzes.models import Attempt
from lms.quizzes.services import start_attempt, submit_attempt
from tests.authoring.conftest import QUIZ, git
from tests.quizzes.conftest import full_form

COURSE = "tiny-course"
ONE = "tiny-course/01-one/module.md"
TWO = "tiny-course/02-two/module.md"
SECOND = "tiny-course/01-one/02-second.md"
MOVED = "tiny-course/02-two/02-second.md"
ITEMS_ONE = ["01-first.md", "02-second.md"]


def items(rel: str) -> list[str]:
    return read_list(open_for_edit(rel).text, "items")


def lesson(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def errors_of(course_dir: str) -> list[str]:
    with effective_tree(course_dir) as root:
        # Other courses are links to the courses folder, where symlinks may lead.
        return [str(p) for p in check_tree(root, links_to=courses_root()) if p.is_error]


def move_second(admin, target: str = "02-two", seen: list[str] | None = None) -> str:
    moved = structure.move_item(COURSE, "01-one", "02-second.md", target, seen or ITEMS_ONE, admin)
    db.session.commit()
    return moved.rel


def test_a_move_is_drafts_only_keeps_the_id_and_lints_clean(app, courses_dir, imported, admin):
    disk_text = (courses_dir / SECOND).read_text(encoding="utf-8")
    rel = move_second(admin)
    assert rel == MOVED
    assert (courses_dir / SECOND).read_text(encoding="utf-8") == disk_text  # nothing on disk yet
    assert not (courses_dir / MOVED).exists()
    assert items(ONE) == ["01-first.md"]
    assert items(TWO) == ["01-third.md", "02-second.md"]
    assert open_for_edit(MOVED).text == disk_text
    assert read_value(open_for_edit(MOVED).text, "id") == "l-two"
    removal = db.session.scalar(sa.select(Draft).where(Draft.path == SECOND))
    assert (removal.removed, removal.text) == (True, "")
    assert open_for_edit(SECOND).removed
    assert errors_of(COURSE) == []
    moved = structure.course_structure(COURSE)
    assert [[item.key for item in module.items] for module in moved.modules] == [
        ["l-one"],
        ["l-three", "l-two"],
    ]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "authoring.move_item"))
    assert event.details == {
        "id": "l-two",
        "from": SECOND,
        "to": MOVED,
        "module": "01-one",
        "target": "02-two",
        "relinked": [],
    }
    removed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "authoring.remove"))
    assert removed.target_label == SECOND
    tree = course_tree(COURSE)
    assert [(f.rel, f.removed) for f in tree.loose] == [(SECOND, True)]


def test_after_publish_the_row_and_the_candidates_progress_follow_the_item(
    app, courses_dir, imported, admin, make_user
):
    candidate = make_user("cand1")
    enrol(candidate, db.session.scalar(sa.select(Course).where(Course.key == COURSE)))
    before = lesson("l-two")
    complete_lesson(candidate, before)
    db.session.commit()
    lesson_id = before.id
    progress = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == candidate.id))
    progress_id, completed_at = progress.id, progress.completed_at

    move_second(admin)
    publish_course(COURSE, admin)
    db.session.commit()
    db.session.expire_all()

    assert not (courses_dir / SECOND).exists()
    assert read_value((courses_dir / MOVED).read_text(encoding="utf-8"), "id") == "l-two"
    assert db.session.scalars(sa.select(Draft)).all() == []
    after = lesson("l-two")
    assert after.id == lesson_id
    assert after.archived_at is None
    assert (after.source_path, after.path_in_course) == (MOVED, "02-two/02-second.md")
    assert db.session.get(Module, after.module_id).key == "m-two"
    kept = db.session.get(LessonProgress, progress_id)
    assert (kept.lesson_id, kept.completed_at) == (lesson_id, completed_at)
    course = db.session.scalar(sa.select(Course).where(Course.key == COURSE))
    assert [item["key"] for item in course.item_order] == ["l-one", "l-three", "l-two"]
    removed = db.session.scalar(sa.select(PublicationFile).where(PublicationFile.path == SECOND))
    assert (removed.removed, removed.text) == (True, "")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "authoring.publish"))
    assert event.details["removed"] == [SECOND]
    assert event.details["archived"] == 0
    with pytest.raises(ValidationError) as refused:
        history.restore_as_draft(removed, history.editor_token(SECOND), admin)
    assert refused.value.code == "removed"


def test_a_quiz_keeps_its_attempts_when_moved(app, courses_dir, imported, admin, make_user):
    structure.new_module("quiz-course", "Второй модуль", "q-modul-2", admin)
    db.session.commit()
    publish_course("quiz-course", admin)
    db.session.commit()
    candidate = make_user("cand1")
    quiz = lesson("q-all")
    attempt = start_attempt(candidate, quiz)
    submit_attempt(attempt, full_form(quiz, attempt, right=True))
    db.session.commit()
    attempt_id, quiz_id, score = attempt.id, quiz.id, attempt.score
    target = structure.listed_modules("quiz-course")[1]
    seen = items("quiz-course/01-osnovy/module.md")
    structure.move_item("quiz-course", "01-osnovy", QUIZ.rsplit("/", 1)[1], target, seen, admin)
    db.session.commit()
    new_rel = f"quiz-course/{target}/02-proverka.md"
    # Its link to the lesson beside it was relative to the old module: the move rewrote it.
    assert "](../01-osnovy/01-urok.md#специальный-счёт)" in open_for_edit(new_rel).text
    assert structure.move_problems("quiz-course", QUIZ, new_rel) == []
    publish_course("quiz-course", admin)
    db.session.commit()
    db.session.expire_all()
    moved = lesson("q-all")
    assert moved.id == quiz_id
    assert moved.source_path == new_rel
    kept = db.session.get(Attempt, attempt_id)
    assert (kept.quiz_id, kept.score) == (quiz_id, score)


@pytest.mark.parametrize(
    ("target", "code"),
    [("01-one", "target"), ("03-nowhere", "target"), ("", "target")],
)
def test_the_same_or_an_unknown_module_is_refused_on_the_target_field(
    app, courses_dir, imported, admin, target, code
):
    with pytest.raises(ValidationError) as refused:
        move_second(admin, target)
    assert (refused.value.code, refused.value.field) == (code, "target")
    db.session.rollback()
    assert db.session.scalars(sa.select(Draft)).all() == []


def test_a_file_of_the_same_name_in_the_target_is_refused(app, courses_dir, imported, admin):
    (courses_dir / MOVED).write_text("---\nid: chuzhoy\ntitle: Чужой\n---\nТекст.\n", encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        move_second(admin)
    assert (refused.value.code, refused.value.field) == ("name_taken", "target")
    assert "02-second.md" in str(refused.value.message)


def test_a_draft_of_the_same_name_in_the_target_is_refused(app, courses_dir, imported, admin):
    db.session.add(Draft(path=MOVED, course_dir=COURSE, text="---\nid: x\ntitle: X\n---\n"))
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        move_second(admin)
    assert (refused.value.code, refused.value.field) == ("name_taken", "target")


def test_the_last_item_of_a_module_stays(app, courses_dir, imported, admin):
    with pytest.raises(ValidationError) as refused:
        structure.move_item(COURSE, "02-two", "01-third.md", "01-one", ["01-third.md"], admin)
    assert (refused.value.code, refused.value.field) == ("last", "target")


def test_a_stale_list_is_refused(app, courses_dir, imported, admin):
    with pytest.raises(ValidationError) as stale:
        move_second(admin, seen=["02-second.md", "01-first.md"])
    assert stale.value.code == "stale"
    move_second(admin)
    with pytest.raises(ValidationError) as twice:  # the same form sent again
        move_second(admin)
    assert twice.value.code == "stale"


def test_a_file_changed_on_disk_under_its_draft_is_a_conflict(app, courses_dir, imported, admin, edit):
    edit(SECOND, open_for_edit(SECOND).text + "\nЧерновик.\n", admin)
    (courses_dir / SECOND).write_text(
        (courses_dir / SECOND).read_text(encoding="utf-8") + "\nИз git.\n", encoding="utf-8"
    )
    with pytest.raises(EditConflict) as conflict:
        move_second(admin)
    assert conflict.value.rel == SECOND


def test_a_removal_is_refused_at_publish_when_the_file_changed_on_disk_since(
    app, courses_dir, imported, admin
):
    move_second(admin)
    (courses_dir / SECOND).write_text(
        (courses_dir / SECOND).read_text(encoding="utf-8") + "\nИз git.\n", encoding="utf-8"
    )
    with pytest.raises(EditConflict) as conflict:
        publish_course(COURSE, admin)
    assert conflict.value.rel == SECOND
    db.session.rollback()
    assert (courses_dir / SECOND).exists()
    assert not (courses_dir / MOVED).exists()


def test_moving_back_before_publish_revives_the_file(app, courses_dir, imported, admin):
    disk_text = (courses_dir / SECOND).read_text(encoding="utf-8")
    move_second(admin)
    structure.move_item(COURSE, "02-two", "02-second.md", "01-one", items(TWO), admin)
    db.session.commit()
    assert items(ONE) == ITEMS_ONE
    assert items(TWO) == ["01-third.md"]
    assert not open_for_edit(SECOND).removed
    assert open_for_edit(SECOND).text == disk_text
    assert open_for_edit(MOVED).source == "new"  # the never-published copy's draft is gone
    assert errors_of(COURSE) == []


def test_a_new_unpublished_item_moves_as_its_draft(app, courses_dir, imported, admin):
    rel = structure.new_item(COURSE, "01-one", "lesson", "Новый урок", "novyy", admin)
    db.session.commit()
    name = rel.rsplit("/", 1)[1]
    structure.move_item(COURSE, "01-one", name, "02-two", items(ONE), admin)
    db.session.commit()
    paths = sorted(db.session.scalars(sa.select(Draft.path)))
    assert paths == sorted([ONE, TWO, f"{COURSE}/02-two/{name}"])  # no removal of a file never written
    assert errors_of(COURSE) == []


def test_discarding_the_removal_keeps_the_file_unlisted(app, courses_dir, imported, admin):
    move_second(admin)
    assert discard_draft(SECOND, admin)
    db.session.commit()
    assert errors_of(COURSE) == []  # an unlisted file is not loaded: no second l-two
    publish_course(COURSE, admin)
    db.session.commit()
    assert (courses_dir / SECOND).exists()
    assert lesson("l-two").source_path == MOVED


FIRST = "tiny-course/01-one/01-first.md"
FIRST_MOVED = "tiny-course/02-two/01-first.md"
THIRD = "tiny-course/02-two/01-third.md"


def test_a_move_rewrites_the_moved_items_own_links_and_links_to_it_in_drafts(
    app, courses_dir, imported, admin
):
    """l-one shows img/dot.png of its module and links to ../02-two/01-third.md#итоги; l-three
    links to ../01-one/01-first.md. After the move all three resolve from the new folders."""
    third_on_disk = (courses_dir / THIRD).read_text(encoding="utf-8")
    moved = structure.move_item(COURSE, "01-one", "01-first.md", "02-two", ITEMS_ONE, admin)
    db.session.commit()
    assert (moved.rel, moved.relinked) == (FIRST_MOVED, [FIRST_MOVED, THIRD])
    text = open_for_edit(FIRST_MOVED).text
    assert "[итоги третьего урока](01-third.md#итоги)" in text
    assert "![Точка на карте](../01-one/img/dot.png)" in text
    assert "img/dot.png)" not in text.replace("../01-one/img/dot.png)", "")
    third = open_for_edit(THIRD)
    assert third.source == "draft"
    assert third.text == third_on_disk.replace("](../01-one/01-first.md)", "](01-first.md)")
    assert (courses_dir / THIRD).read_text(encoding="utf-8") == third_on_disk  # disk changes at publish
    drafts = sorted(db.session.scalars(sa.select(Draft.path)))
    assert drafts == sorted([FIRST, FIRST_MOVED, ONE, TWO, THIRD])  # files that did not change: none
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "authoring.move_item"))
    assert event.details["relinked"] == [FIRST_MOVED, THIRD]
    assert structure.move_problems(COURSE, FIRST, FIRST_MOVED) == []
    assert errors_of(COURSE) == []

    publish_course(COURSE, admin)  # imports the course from the files it wrote
    db.session.commit()
    assert [str(p) for p in check_tree(courses_dir) if p.is_error or p.code == "W301"] == []
    assert "](01-first.md)" in (courses_dir / THIRD).read_text(encoding="utf-8")
    assert lesson("l-one").source_path == FIRST_MOVED


def test_a_link_to_the_moved_item_from_a_draft_is_rewritten_in_that_draft(
    app, courses_dir, imported, admin, edit
):
    edit(THIRD, open_for_edit(THIRD).text + "\nИ ко [второму](../01-one/02-second.md#сроки).\n", admin)
    move_second(admin)
    text = open_for_edit(THIRD).text
    assert "[второму](../02-two/02-second.md#сроки)" not in text  # from 02-two it is a sibling
    assert "[второму](02-second.md#сроки)" in text
    assert "[первому уроку](../01-one/01-first.md)" in text  # l-one did not move
    assert structure.move_problems(COURSE, SECOND, MOVED) == []
    assert errors_of(COURSE) == []


def test_move_problems_name_what_the_move_could_not_rewrite(app, courses_dir, imported, admin):
    """An image written with an entity (`&#46;`) is found by lint but not where the scanner says it
    is written as such: the move leaves it, lint names it, publish refuses."""
    first = courses_dir / FIRST
    first.write_text(
        first.read_text(encoding="utf-8") + "\n![Ещё точка](img/dot&#46;png)\n", encoding="utf-8"
    )
    structure.move_item(COURSE, "01-one", "01-first.md", "02-two", ITEMS_ONE, admin)
    db.session.commit()
    assert "![Ещё точка](img/dot&#46;png)" in open_for_edit(FIRST_MOVED).text
    problems = structure.move_problems(COURSE, FIRST, FIRST_MOVED)
    assert [(p.path, p.code) for p in problems] == [(FIRST_MOVED, "E304")]
    with pytest.raises(PublishRefused):
        publish_course(COURSE, admin)


def test_a_move_published_into_git_removes_the_old_path(app, git_courses, imported, admin):
    move_second(admin)
    publish_course(COURSE, admin)
    db.session.commit()
    tracked = git(git_courses, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    assert MOVED in tracked
    assert SECOND not in tracked
    assert git(git_courses, "status", "--porcelain") == ""


def test_write_atomically_removes_a_file_and_undo_puts_it_back(app, courses_dir):
    path = courses_dir / SECOND
    before = path.read_bytes()
    undo = write_atomically({SECOND: None, MOVED: "текст\n"})
    assert not path.exists()
    assert (courses_dir / MOVED).read_text(encoding="utf-8") == "текст\n"
    undo()
    assert path.read_bytes() == before
    assert not (courses_dir / MOVED).exists()


def test_the_history_of_the_old_path_shows_the_removal_without_a_restore(
    client, auth, courses_dir, imported, teacher
):
    structure.move_item(COURSE, "01-one", "02-second.md", "02-two", ITEMS_ONE, teacher)
    db.session.commit()
    publish_course(COURSE, teacher)
    db.session.commit()
    row = db.session.scalar(sa.select(PublicationFile).where(PublicationFile.path == SECOND))
    auth.login(teacher.username)
    page = client.get(f"/author/history/{SECOND}").get_data(as_text=True)
    assert "файл удалён" in page
    assert f"/author/versions/{row.id}/restore" not in page
    diff = client.get(f"/author/versions/{row.id}").get_data(as_text=True)
    assert "Эта публикация удалила файл" in diff
    assert f"/author/versions/{row.id}/restore" not in diff


def test_an_entry_that_is_no_plain_file_name_is_refused_not_a_server_error(app, courses_dir, imported, admin):
    module = courses_dir / ONE
    module.write_text(module.read_text(encoding="utf-8").replace("02-second.md", "../02-two/01-third.md"))
    seen = ["01-first.md", "../02-two/01-third.md"]
    with pytest.raises(ValidationError) as refused:
        structure.move_item(COURSE, "01-one", "../02-two/01-third.md", "02-two", seen, admin)
    assert refused.value.code == "missing"


def test_moving_there_and_back_leaves_the_links_as_they_were_written(app, courses_dir, imported, admin):
    first_on_disk = (courses_dir / FIRST).read_text(encoding="utf-8")
    third_on_disk = (courses_dir / THIRD).read_text(encoding="utf-8")
    structure.move_item(COURSE, "01-one", "01-first.md", "02-two", ITEMS_ONE, admin)
    db.session.commit()
    assert errors_of(COURSE) == []  # rewritten there...
    structure.move_item(COURSE, "02-two", "01-first.md", "01-one", items(TWO), admin)
    db.session.commit()
    assert open_for_edit(FIRST).text == first_on_disk  # ...and back, as the author wrote them
    assert open_for_edit(THIRD).text == third_on_disk
    assert errors_of(COURSE) == []


def test_a_linking_file_changed_on_disk_under_its_draft_refuses_the_move(
    app, courses_dir, imported, admin, edit
):
    """l-three links to l-one; its draft was based on a disk text git has changed since: the
    rewrite of its link would hide that change, so the move is a conflict on l-three."""
    edit(THIRD, open_for_edit(THIRD).text + "\nЧерновик.\n", admin)
    (courses_dir / THIRD).write_text(
        (courses_dir / THIRD).read_text(encoding="utf-8") + "\nИз git.\n", encoding="utf-8"
    )
    with pytest.raises(EditConflict) as conflict:
        structure.move_item(COURSE, "01-one", "01-first.md", "02-two", ITEMS_ONE, admin)
    assert conflict.value.rel == THIRD
    db.session.rollback()
    assert items(ONE) == ITEMS_ONE
    assert open_for_edit(FIRST_MOVED).source == "new"

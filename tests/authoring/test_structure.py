"""Structural changes as drafts: new items, modules and courses from starters, reorder, rename."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring import structure
from lms.authoring.drafts import EditConflict, effective_tree, open_for_edit, save_draft
from lms.authoring.files import courses_root
from lms.authoring.frontmatter_edit import read_list, read_value
from lms.authoring.models import Draft
from lms.content.loader import check_tree
from lms.core.errors import ValidationError
from lms.extensions import db

COURSE = "tiny-course"
MODULE_REL = "tiny-course/01-one/module.md"


@pytest.fixture
def author(make_user):
    return make_user("admin1", role="admin")


def text_of(rel: str) -> str:
    return open_for_edit(rel).text


def errors_of(course_dir: str) -> list[str]:
    with effective_tree(course_dir) as root:
        # Other courses are links to the courses folder, where symlinks may lead.
        return [str(p) for p in check_tree(root, links_to=courses_root()) if p.is_error]


def drafts() -> list[str]:
    return sorted(db.session.scalars(sa.select(Draft.path)))


def test_slug_transliterates_russian_and_keeps_id_characters():
    assert structure.slug("Новый урок: финансы штаба!") == "novyy-urok-finansy-shtaba"
    assert structure.slug("Съезд 2026 — итоги") == "sezd-2026-itogi"
    assert structure.slug("???") == ""
    assert len(structure.slug("очень " * 30)) <= 40


@pytest.mark.parametrize("kind", ["lesson", "quiz", "scenario", "assignment", "survey"])
def test_a_new_item_from_its_starter_is_a_draft_listed_in_the_module_and_lints_clean(
    app, courses_dir, author, kind
):
    disk_module = (courses_dir / MODULE_REL).read_text()
    rel = structure.new_item(COURSE, "01-one", kind, "Новый материал: проба", "", author)
    db.session.commit()
    assert rel == "tiny-course/01-one/03-novyy-material-proba.md"
    assert not (courses_dir / rel).exists()
    assert (courses_dir / MODULE_REL).read_text() == disk_module
    assert drafts() == [rel, MODULE_REL]
    text = text_of(rel)
    assert read_value(text, "id") == "novyy-material-proba"
    assert read_value(text, "title") == "Новый материал: проба"
    assert read_value(text, "type") == (None if kind == "lesson" else kind)
    assert read_list(text_of(MODULE_REL), "items") == [
        "01-first.md",
        "02-second.md",
        "03-novyy-material-proba.md",
    ]
    assert errors_of(COURSE) == []


def test_a_new_item_keeps_the_module_file_as_written(app, courses_dir, author):
    module = courses_dir / MODULE_REL
    module.write_text(module.read_text().replace("items:", "items:   # по порядку"))
    structure.new_item(COURSE, "01-one", "lesson", "Урок", "urok-tri", author)
    assert "items:   # по порядку\n  - 01-first.md\n  - 02-second.md\n  - 03-urok-tri.md\n" in text_of(
        MODULE_REL
    )


def test_a_given_id_is_checked_and_a_taken_one_refused(app, courses_dir, author):
    with pytest.raises(ValidationError) as taken:
        structure.new_item(COURSE, "01-one", "lesson", "Урок", "l-one", author)
    assert (taken.value.code, taken.value.field) == ("key_taken", "key")
    with pytest.raises(ValidationError) as bad:
        structure.new_item(COURSE, "01-one", "lesson", "Урок", "Плохой id", author)
    assert (bad.value.code, bad.value.field) == ("key", "key")
    assert drafts() == []


def test_an_id_used_only_by_a_draft_is_taken_too(app, courses_dir, author):
    structure.new_item(COURSE, "01-one", "lesson", "Урок", "urok-tri", author)
    with pytest.raises(ValidationError) as taken:
        structure.new_item(COURSE, "02-two", "lesson", "Другой", "urok-tri", author)
    assert taken.value.code == "key_taken"


def test_a_new_item_for_a_list_that_changed_meanwhile_is_refused(app, courses_dir, author):
    structure.new_item(COURSE, "01-one", "lesson", "Урок", "", author, seen=["01-first.md", "02-second.md"])
    with pytest.raises(ValidationError) as stale:
        structure.new_item(
            COURSE, "01-one", "lesson", "Урок", "", author, seen=["01-first.md", "02-second.md"]
        )
    assert stale.value.code == "stale"
    with pytest.raises(ValidationError) as stale_module:
        structure.new_module(COURSE, "Модуль", "", author, seen=["01-one"])
    assert stale_module.value.code == "stale"
    assert drafts() == ["tiny-course/01-one/03-urok.md", MODULE_REL]


def test_a_derived_id_steps_round_a_taken_one(app, courses_dir, author):
    first = structure.new_item(COURSE, "01-one", "lesson", "Урок", "", author)
    second = structure.new_item(COURSE, "01-one", "lesson", "Урок", "", author)
    assert read_value(text_of(first), "id") == "urok"
    assert read_value(text_of(second), "id") == "urok-2"
    assert second.endswith("/04-urok-2.md")


@pytest.mark.parametrize(
    ("module", "kind", "title", "field"),
    [
        ("99-none", "lesson", "Урок", "module"),
        ("../01-one", "lesson", "Урок", "module"),
        ("01-one", "exam", "Урок", "kind"),
        ("01-one", "lesson", "   ", "title"),
        ("01-one", "lesson", "я" * 201, "title"),
    ],
)
def test_bad_new_item_input_is_refused_on_its_field(app, courses_dir, author, module, kind, title, field):
    with pytest.raises(ValidationError) as refused:
        structure.new_item(COURSE, module, kind, title, "", author)
    assert refused.value.field == field
    assert drafts() == []


def test_a_new_module_comes_with_a_first_lesson_and_lints_clean(app, courses_dir, author):
    rel = structure.new_module(COURSE, "Третий модуль", "", author)
    assert rel == "tiny-course/03-tretiy-modul/module.md"
    assert read_list(text_of("tiny-course/course.md"), "modules") == ["01-one", "02-two", "03-tretiy-modul"]
    assert read_list(text_of(rel), "items") == ["01-vvedenie.md"]
    assert read_value(text_of("tiny-course/03-tretiy-modul/01-vvedenie.md"), "id") == "tretiy-modul-vvedenie"
    assert not (courses_dir / "tiny-course/03-tretiy-modul").exists()
    assert errors_of(COURSE) == []


def test_a_new_course_is_three_drafts_that_lint_clean(app, courses_dir, author):
    rel = structure.new_course("", "Новый курс", "", author)
    assert rel == "novyy-kurs/course.md"
    assert drafts() == [
        "novyy-kurs/01-modul/01-vvedenie.md",
        "novyy-kurs/01-modul/module.md",
        "novyy-kurs/course.md",
    ]
    assert errors_of("novyy-kurs") == []
    with pytest.raises(ValidationError) as taken:
        structure.new_course("novyy-kurs", "Ещё курс", "eshche-kurs", author)
    assert taken.value.field == "folder"
    with pytest.raises(ValidationError) as existing:
        structure.new_course("tiny-course", "Ещё курс", "eshche-kurs", author)
    assert existing.value.field == "folder"
    with pytest.raises(ValidationError) as bad:
        structure.new_course("../x", "Ещё курс", "eshche-kurs", author)
    assert bad.value.field == "folder"


def test_reorder_items_writes_a_draft_of_the_module_and_keeps_every_id(app, courses_dir, author):
    ids_before = {
        name: read_value(text_of(f"tiny-course/01-one/{name}"), "id")
        for name in ["01-first.md", "02-second.md"]
    }
    structure.set_order(
        COURSE, "01-one", ["01-first.md", "02-second.md"], ["02-second.md", "01-first.md"], author
    )
    db.session.commit()
    assert read_list(text_of(MODULE_REL), "items") == ["02-second.md", "01-first.md"]
    assert drafts() == [MODULE_REL]
    ids_after = {name: read_value(text_of(f"tiny-course/01-one/{name}"), "id") for name in ids_before}
    assert ids_after == ids_before
    assert read_value(text_of(MODULE_REL), "id") == "m-one"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "authoring.reorder")).one()
    assert event.details["after"] == ["02-second.md", "01-first.md"]


def test_reorder_modules_of_the_course(app, courses_dir, author):
    structure.set_order(COURSE, None, ["01-one", "02-two"], ["02-two", "01-one"], author)
    assert read_list(text_of("tiny-course/course.md"), "modules") == ["02-two", "01-one"]
    assert errors_of(COURSE) == []


def test_a_stale_order_is_refused_so_a_double_submit_moves_once(app, courses_dir, author):
    seen = ["01-first.md", "02-second.md"]
    assert structure.move(COURSE, "01-one", "02-second.md", -1, seen, author) == [
        "02-second.md",
        "01-first.md",
    ]
    with pytest.raises(ValidationError) as stale:
        structure.move(COURSE, "01-one", "02-second.md", -1, seen, author)
    assert stale.value.code == "stale"
    assert read_list(text_of(MODULE_REL), "items") == ["02-second.md", "01-first.md"]


def test_an_order_with_other_entries_is_refused(app, courses_dir, author):
    seen = ["01-first.md", "02-second.md"]
    for order in (
        ["01-first.md"],
        ["01-first.md", "02-second.md", "03-x.md"],
        ["01-first.md", "01-first.md"],
    ):
        with pytest.raises(ValidationError) as refused:
            structure.set_order(COURSE, "01-one", seen, order, author)
        assert refused.value.code == "order"
    assert drafts() == []


def test_moving_past_either_end_changes_nothing(app, courses_dir, author):
    seen = ["01-first.md", "02-second.md"]
    assert structure.move(COURSE, "01-one", "01-first.md", -1, seen, author) == seen
    assert structure.move(COURSE, "01-one", "02-second.md", 1, seen, author) == seen
    assert drafts() == []


def test_rename_changes_the_title_only(app, courses_dir, author):
    rel = "tiny-course/01-one/01-first.md"
    before = text_of(rel)
    structure.rename(rel, "Первый урок: обновлённый", author)
    after = text_of(rel)
    assert read_value(after, "title") == "Первый урок: обновлённый"
    assert read_value(after, "id") == "l-one"
    assert after.replace('title: "Первый урок: обновлённый"', "title: Первый урок") == before
    assert db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action == "authoring.rename")
    ).all()


def test_changes_build_on_an_existing_draft(app, courses_dir, author):
    state = open_for_edit(MODULE_REL)
    save_draft(MODULE_REL, state.text.replace("Два урока", "Два урока и ещё"), state.token, author)
    structure.set_order(
        COURSE, "01-one", ["01-first.md", "02-second.md"], ["02-second.md", "01-first.md"], author
    )
    text = text_of(MODULE_REL)
    assert "Два урока и ещё" in text
    assert read_list(text, "items") == ["02-second.md", "01-first.md"]


def test_a_draft_whose_file_changed_on_disk_is_not_built_on(app, courses_dir, author):
    state = open_for_edit(MODULE_REL)
    save_draft(MODULE_REL, state.text + "\nЧерновик.\n", state.token, author)
    disk = courses_dir / MODULE_REL
    disk.write_text(disk.read_text().replace("Два урока", "Изменено в git"))
    with pytest.raises(EditConflict):
        structure.rename(MODULE_REL, "Новое имя", author)
    assert "Изменено в git" in disk.read_text()


def test_the_structure_reads_drafts_over_disk(app, courses_dir, author):
    structure.new_item(COURSE, "01-one", "quiz", "Проверка", "proverka-1", author)
    course = structure.course_structure(COURSE)
    assert course.title == "Крошечный курс"
    assert [m.name for m in course.modules] == ["01-one", "02-two"]
    items = course.modules[0].items
    assert [(i.name, i.key, i.kind, i.draft) for i in items] == [
        ("01-first.md", "l-one", "lesson", False),
        ("02-second.md", items[1].key, "lesson", False),
        ("03-proverka-1.md", "proverka-1", "quiz", True),
    ]
    assert course.modules[0].draft is True


def test_a_listed_file_that_is_missing_is_marked(app, courses_dir, author):
    (courses_dir / "tiny-course/01-one/02-second.md").unlink()
    items = structure.course_structure(COURSE).modules[0].items
    assert [(i.name, i.missing) for i in items] == [("01-first.md", False), ("02-second.md", True)]

"""The per-module rollup the heatmap reads equals a recount from the progress rows after every
kind of event: views, completions, undone items, a quiz passed, and imports that add, archive and
move items between modules."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.content.models import Course, Lesson
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress import module_rollup, rollups
from lms.progress import services as progress
from lms.progress.models import Enrolment
from lms.quizzes import services as quizzes
from tests.quizzes.conftest import full_form

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations/versions/20261206_b6d2f8a4c9e1_module_progress.py"
)


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """The tiny course (two modules) and the quiz course (a lesson and a quiz)."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "good", target)
    shutil.copytree(FIXTURES / "quiz", target, dirs_exist_ok=True)
    return target


def item(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def assert_equals_a_rebuild() -> None:
    """The incremental rows equal a recount, by module_rollup.rebuild and by rollups.rebuild_stats."""
    db.session.flush()
    incremental = module_rollup.snapshot()
    module_rollup.rebuild()
    assert module_rollup.snapshot() == incremental
    rollups.rebuild_stats()  # `flask lms rollups --rebuild` recounts these rows too
    assert module_rollup.snapshot() == incremental


def counts(user, lesson_key: str) -> tuple[int, int]:
    """(opened, done) of the user in the module holding the item."""
    return module_rollup.snapshot().get((user.id, item(lesson_key).module_id), (0, 0))


def rewrite(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def reimport(root: Path) -> None:
    sync_tree(root)
    db.session.commit()


def test_views_completions_and_undone_items_move_the_counts(app, imported, make_user):
    anna, boris = make_user("anna"), make_user("boris", region="69")
    first, second, third = item("l-one"), item("l-two"), item("l-three")
    progress.record_view(anna, first)
    progress.record_view(anna, first)  # a second visit counts nothing
    assert counts(anna, "l-one") == (1, 0)
    progress.complete_lesson(anna, first)
    progress.complete_lesson(anna, first)  # a double click counts once
    progress.complete_lesson(anna, second)  # completed without a view first: opened too
    assert counts(anna, "l-one") == (2, 2)
    progress.uncomplete_lesson(anna, second)
    progress.uncomplete_lesson(anna, second)
    assert counts(anna, "l-one") == (2, 1)
    progress.complete_lesson(boris, third)
    assert counts(boris, "l-three") == (1, 1) and counts(boris, "l-one") == (0, 0)
    assert_equals_a_rebuild()


def test_a_quiz_passed_counts_as_done_in_its_module(app, imported, make_user):
    anna = make_user("anna")
    quiz = item("q-all")
    progress.record_view(anna, quiz)
    attempt = quizzes.start_attempt(anna, quiz)
    quizzes.submit_attempt(attempt, full_form(quiz, attempt, right=True))
    db.session.commit()
    assert counts(anna, quiz.key) == (1, 1)
    assert_equals_a_rebuild()


def test_imports_that_add_archive_and_move_items_recount_the_course(app, courses_dir, imported, make_user):
    anna = make_user("anna")
    for key in ("l-one", "l-two", "l-three"):
        progress.complete_lesson(anna, item(key))
    db.session.commit()
    one, two = item("l-one").module_id, item("l-three").module_id
    assert module_rollup.snapshot()[(anna.id, one)] == (2, 2)

    # A new item in module one: nothing opened of it, the counts stay (its total grows on the page).
    (courses_dir / "tiny-course/01-one/03-fourth.md").write_text(
        "---\nid: l-four\ntitle: Четвёртый урок\n---\nТекст.\n", encoding="utf-8"
    )
    rewrite(
        courses_dir, "tiny-course/01-one/module.md", "  - 02-second.md", "  - 02-second.md\n  - 03-fourth.md"
    )
    reimport(courses_dir)
    assert module_rollup.snapshot()[(anna.id, one)] == (2, 2)
    assert_equals_a_rebuild()

    # An item someone completed leaves the course: archived, and no longer counted.
    rewrite(courses_dir, "tiny-course/01-one/module.md", "  - 02-second.md\n", "")
    (courses_dir / "tiny-course/01-one/02-second.md").unlink()
    reimport(courses_dir)
    assert item("l-two").archived_at is not None
    assert module_rollup.snapshot()[(anna.id, one)] == (1, 1)
    assert_equals_a_rebuild()

    # An item moves from module two to module one: its completion moves with it.
    rewrite(courses_dir, "tiny-course/02-two/module.md", "  - 01-third.md", "  - 01-first.md")
    rewrite(courses_dir, "tiny-course/01-one/01-first.md", "../02-two/01-third.md", "04-third.md")
    shutil.move(
        courses_dir / "tiny-course/02-two/01-third.md", courses_dir / "tiny-course/01-one/04-third.md"
    )
    rewrite(
        courses_dir, "tiny-course/01-one/module.md", "  - 03-fourth.md", "  - 03-fourth.md\n  - 04-third.md"
    )
    (courses_dir / "tiny-course/02-two/01-first.md").write_text(
        "---\nid: l-five\ntitle: Пятый урок\n---\nТекст.\n", encoding="utf-8"
    )
    reimport(courses_dir)
    assert item("l-three").module_id == one
    snapshot = module_rollup.snapshot()
    assert snapshot[(anna.id, one)] == (2, 2) and (anna.id, two) not in snapshot
    assert_equals_a_rebuild()

    # Progress after the imports keeps counting in the items' new modules.
    progress.record_view(anna, item("l-five"))
    progress.uncomplete_lesson(anna, item("l-three"))
    assert module_rollup.snapshot()[(anna.id, one)] == (2, 1)
    assert_equals_a_rebuild()


def test_undoing_an_archived_item_leaves_the_live_count(app, courses_dir, imported, make_user):
    """The enrolment counts done live items only, as the import's recount does: undoing an item
    that has left the course must not take one off the items still in it."""
    anna = make_user("anna")
    for key in ("l-one", "l-two"):
        progress.complete_lesson(anna, item(key))
    db.session.commit()
    rewrite(courses_dir, "tiny-course/01-one/module.md", "  - 02-second.md\n", "")
    (courses_dir / "tiny-course/01-one/02-second.md").unlink()
    reimport(courses_dir)
    course_id = item("l-one").course_id
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == anna.id, Enrolment.course_id == course_id)
    )
    assert enrolment.lessons_done == progress.count_completed_live(anna.id, course_id) == 1

    assert progress.uncomplete_lesson(anna, item("l-two")) is True
    db.session.commit()
    db.session.refresh(enrolment)
    assert enrolment.lessons_done == progress.count_completed_live(anna.id, course_id) == 1
    assert_equals_a_rebuild()

    # Finishing the live items completes the course at once, not at the next recount.
    progress.complete_lesson(anna, item("l-three"))
    db.session.commit()
    db.session.refresh(enrolment)
    assert enrolment.lessons_done == 2
    assert enrolment.completed_at is not None


def test_the_migration_backfill_counts_as_the_rebuild(app, imported, make_user):
    """The migration's INSERT … SELECT (written out in SQL) and `rebuild` agree."""
    spec = importlib.util.spec_from_file_location("module_progress_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    anna = make_user("anna")
    progress.complete_lesson(anna, item("l-one"))
    progress.record_view(anna, item("l-three"))
    db.session.flush()
    expected = module_rollup.snapshot()
    db.session.execute(sa.delete(module_rollup.ModuleProgress))
    db.session.execute(sa.text(migration.BACKFILL))
    assert module_rollup.snapshot() == expected


EVENTS = st.lists(
    st.tuples(st.sampled_from(["view", "complete", "uncomplete"]), st.integers(0, 2), st.integers(0, 3)),
    max_size=20,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS)
def test_any_sequence_of_events_equals_a_rebuild(imported, make_user, events):
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
    ).all()
    tag = str(abs(hash((tuple(events), len(module_rollup.snapshot())))) % 10**8)
    users = [make_user(f"u{tag}-{i}") for i in range(3)]
    for kind, who, which in events:
        user, lesson = users[who], lessons[which % len(lessons)]
        {"view": progress.record_view, "complete": progress.complete_lesson}.get(
            kind, progress.uncomplete_lesson
        )(user, lesson)
    assert_equals_a_rebuild()
    db.session.rollback()


def test_the_rollups_command_rebuilds_the_counts(app, imported, make_user, runner):
    anna = make_user("anna")
    progress.complete_lesson(anna, item("l-one"))
    db.session.commit()
    expected = module_rollup.snapshot()
    db.session.execute(sa.update(module_rollup.ModuleProgress).values(done=7, opened=9))
    db.session.commit()
    result = runner.invoke(args=["lms", "rollups", "--rebuild"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert module_rollup.snapshot() == expected

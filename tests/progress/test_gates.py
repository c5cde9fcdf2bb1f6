"""Prerequisites and release dates as a candidate meets them: the course page says why a module is
closed and what opens it, and a closed item cannot be opened by its address either."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Course, Lesson
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import gates
from lms.progress.models import LessonProgress
from lms.progress.services import complete_lesson, first_unfinished_lesson
from lms.quizzes.models import Attempt
from tests.content.test_gates import add_front_matter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
TINY = "/courses/tiny-course"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """tiny-course, whose second module opens after the first, and quiz-course, which opens
    for those who scored at least 50 % in nothing yet (set per test)."""
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "good", root)
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", root / "quiz-course")
    add_front_matter(root / "tiny-course" / "02-two" / "module.md", "requires:\n  - module: m-one")
    return root


def lesson(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def test_a_module_opens_once_the_module_it_requires_is_done(client, auth, imported, make_user):
    anna = make_user("anna")
    auth.login("anna")
    page = client.get(TINY).get_data(as_text=True)
    assert "Этот модуль пока закрыт" in page and "Пройдите модуль" in page
    assert f'href="{TINY}/lessons/l-three"' not in page  # listed, not linked
    closed = client.get(f"{TINY}/lessons/l-three")
    assert closed.status_code == 403
    assert "Модуль «Второй модуль» откроется, когда:" in closed.get_data(as_text=True)
    refused = auth.post(f"{TINY}/lessons/l-three/complete", page=TINY)
    assert refused.status_code == 403
    done = sa.select(LessonProgress.lesson_id).where(LessonProgress.completed_at.is_not(None))
    assert db.session.scalars(done).all() == []

    complete_lesson(anna, lesson("l-one"))
    complete_lesson(anna, lesson("l-two"))
    db.session.commit()
    assert client.get(f"{TINY}/lessons/l-three").status_code == 200
    page = client.get(TINY).get_data(as_text=True)
    assert "Этот модуль пока закрыт" not in page and f'href="{TINY}/lessons/l-three"' in page


def test_staff_are_never_locked_out(client, auth, imported, make_user):
    make_user("igor", role="instructor")
    auth.login("igor")
    assert client.get(f"{TINY}/lessons/l-three").status_code == 200


def test_a_course_opens_on_its_date_in_the_school_s_time_zone(app, client, auth, courses_dir, make_user):
    from lms.content.sync import sync_tree

    opens = gates.school_today() + timedelta(days=1)
    add_front_matter(courses_dir / "quiz-course" / "course.md", f"opens: {opens.isoformat()}")
    sync_tree(courses_dir)
    db.session.commit()
    anna = make_user("anna")
    auth.login("anna")
    page = client.get("/courses/quiz-course").get_data(as_text=True)
    assert "Этот курс пока закрыт" in page and "Откроется " in page
    assert client.get("/courses/quiz-course/quizzes/q-all").status_code == 403
    assert client.get("/courses/quiz-course/lessons/q-all", follow_redirects=True).status_code == 403
    assert auth.post("/courses/quiz-course/start", page="/courses/quiz-course").status_code == 403
    course = db.session.scalar(sa.select(Course).where(Course.key == "quiz-course"))
    assert gates.course_locks(anna, course, today=opens - timedelta(days=1)).course is not None
    assert gates.course_locks(anna, course, today=opens).course is None


def test_a_quiz_requirement_with_a_minimum_score(app, client, auth, courses_dir, make_user):
    from lms.content.sync import sync_tree

    add_front_matter(
        courses_dir / "tiny-course" / "course.md", "requires:\n  - quiz: q-all\n    min_score: 70"
    )
    sync_tree(courses_dir)
    db.session.commit()
    anna = make_user("anna")
    auth.login("anna")
    page = client.get(TINY).get_data(as_text=True)
    assert "Наберите не меньше 70\xa0% в проверке" in page
    assert client.get(f"{TINY}/lessons/l-one").status_code == 403

    quiz = lesson("q-all")
    for number, percent in ((1, 69.5), (2, 70.0)):
        db.session.add(
            Attempt(
                user_id=anna.id,
                quiz_id=quiz.id,
                number=number,
                quiz_hash="h",
                policy={},
                layout=[],
                submitted_at=utcnow(),
                score=percent,
                max_score=100,
                percent=percent,
            )
        )
        db.session.commit()
        status = client.get(f"{TINY}/lessons/l-one").status_code
        assert status == (403 if percent < 70 else 200), percent


def test_a_course_requirement_is_met_by_completing_that_course(app, client, auth, courses_dir, make_user):
    from lms.content.sync import sync_tree

    add_front_matter(courses_dir / "quiz-course" / "course.md", "requires:\n  - course: tiny-course")
    sync_tree(courses_dir)
    db.session.commit()
    anna = make_user("anna")
    course = db.session.scalar(sa.select(Course).where(Course.key == "quiz-course"))
    lock = gates.course_locks(anna, course).course
    assert lock is not None and [(u.kind, u.key, u.title) for u in lock.unmet] == [
        ("course", "tiny-course", "Крошечный курс")
    ]
    for key in ("l-one", "l-two", "l-three"):
        complete_lesson(anna, lesson(key))
    db.session.commit()
    assert gates.course_locks(anna, course).course is None


def test_a_course_without_gates_asks_the_database_nothing(app, imported, make_user):
    anna = make_user("anna")
    course = db.session.scalar(sa.select(Course).where(Course.key == "quiz-course"))
    assert course.gates == {}
    statements: list[str] = []

    def record(*args) -> None:
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert gates.course_locks(anna, course) is gates.OPEN
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []


def test_continue_skips_a_closed_module(app, client, auth, courses_dir, make_user):
    from lms.content.sync import sync_tree

    module_two = courses_dir / "tiny-course" / "02-two" / "module.md"
    module_two.write_text(
        module_two.read_text(encoding="utf-8").replace("requires:\n  - module: m-one\n", "")
    )
    add_front_matter(courses_dir / "tiny-course" / "01-one" / "module.md", "requires:\n  - quiz: q-all")
    sync_tree(courses_dir)
    db.session.commit()
    anna = make_user("anna")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    assert first_unfinished_lesson(anna, course).key == "l-three"  # m-one waits for the quiz
    auth.login("anna")
    auth.post(f"{TINY}/start", page=TINY)
    page = client.get(TINY).get_data(as_text=True)
    assert f'class="button primary" href="{TINY}/lessons/l-three"' in page

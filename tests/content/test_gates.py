"""`requires` and `opens` in course and module front matter: shapes, references and cycles, each
reported at the exact `path:line:col` an author has to fix."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from lms.content.loader import load_tree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tiny-course (modules m-one, m-two) and quiz-course (module quiz-module, quiz q-all)."""
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "good", root)
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", root / "quiz-course")
    return root


def add_front_matter(path: Path, lines: str) -> None:
    """Insert YAML lines just before the closing `---` of a file's front matter."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("\n---\n", 1)
    path.write_text(f"{head}\n{lines}\n---\n{rest}", encoding="utf-8")


def found(root: Path) -> list[str]:
    """Every problem as `path:line:col: CODE message`, paths relative to the tree."""
    prefix = root.as_posix() + "/"
    return [
        f"{p.path.removeprefix(prefix)}:{p.line}:{p.col}: {p.code} {p.message}"
        for p in load_tree(root).problems
    ]


def test_requirements_and_opening_dates_load(tree: Path) -> None:
    add_front_matter(
        tree / "tiny-course" / "02-two" / "module.md", "requires:\n  - module: m-one\nopens: 2027-03-01"
    )
    add_front_matter(
        tree / "tiny-course" / "course.md",
        "requires:\n  - course: quiz-course\n  - quiz: q-all\n    min_score: 80",
    )
    result = load_tree(tree)
    assert result.problems == []
    tiny = next(course for course in result.courses if course.id == "tiny-course")
    assert tiny.requires == [
        {"kind": "course", "key": "quiz-course"},
        {"kind": "quiz", "key": "q-all", "min_score": 80},
    ]
    assert (tiny.modules[1].requires, tiny.modules[1].opens) == (
        [{"kind": "module", "key": "m-one"}],
        date(2027, 3, 1),
    )
    assert (tiny.modules[0].requires, tiny.modules[0].opens, tiny.opens) == ([], None, None)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "requires:\n  - module: m-none",
            "tiny-course/02-two/module.md:7:13: E211 requires module 'm-none', which is not in the tree",
        ),
        (
            "requires:\n  - course: no-course",
            "tiny-course/02-two/module.md:7:13: E211 requires course 'no-course', which is not in the tree",
        ),
        (
            "requires:\n  - quiz: q-none",
            "tiny-course/02-two/module.md:7:11: E211 requires quiz 'q-none', which is not in the tree",
        ),
        (
            "requires:\n  - quiz: l-one",
            "tiny-course/02-two/module.md:7:11: E212 'l-one' is a lesson, not a quiz: "
            "require its module instead",
        ),
        (
            "requires:\n  - module: m-one\n    min_score: 50",
            "tiny-course/02-two/module.md:8:5: E108 'min_score' applies to a quiz requirement only",
        ),
        (
            "requires:\n  - quiz: q-all\n    min_score: 120",
            "tiny-course/02-two/module.md:8:16: E108 'min_score' must be a whole number from 0 to 100",
        ),
        (
            "requires:\n  - module: m-one\n    course: quiz-course",
            "tiny-course/02-two/module.md:7:5: E108 each 'requires' entry names one of: module, course, quiz",
        ),
        (
            "requires:\n  - lesson: l-one",
            "tiny-course/02-two/module.md:7:5: E106 unknown key 'lesson' in 'requires' "
            "(known: module, course, quiz, min_score)",
        ),
        ("requires: m-one", "tiny-course/02-two/module.md:6:11: E108 'requires' must be a list"),
        (
            "opens: 1 марта",
            "tiny-course/02-two/module.md:6:8: E108 'opens' must be a date written YYYY-MM-DD",
        ),
        (
            "opens: 2027-03-01 10:00",
            "tiny-course/02-two/module.md:6:8: E108 'opens' must be a date written YYYY-MM-DD",
        ),
    ],
)
def test_a_wrong_requirement_is_reported_where_it_is_written(tree: Path, lines: str, expected: str) -> None:
    add_front_matter(tree / "tiny-course" / "02-two" / "module.md", lines)
    assert found(tree) == [expected]


def test_a_course_that_requires_its_own_module_waits_on_itself(tree: Path) -> None:
    add_front_matter(tree / "tiny-course" / "course.md", "requires:\n  - module: m-two")
    assert found(tree) == [
        "tiny-course/course.md:11:5: E213 requirements wait on each other: "
        "course:tiny-course → module:m-two → course:tiny-course"
    ]


def test_two_modules_that_require_each_other_are_one_cycle_reported_once(tree: Path) -> None:
    """Reported at the requirement that closes the loop in tree order: m-two's."""
    add_front_matter(tree / "tiny-course" / "01-one" / "module.md", "requires:\n  - module: m-two")
    add_front_matter(tree / "tiny-course" / "02-two" / "module.md", "requires:\n  - module: m-one")
    assert found(tree) == [
        "tiny-course/02-two/module.md:7:5: E213 requirements wait on each other: "
        "module:m-one → module:m-two → module:m-one"
    ]


def test_a_cycle_across_courses_through_a_quiz_is_found_once(tree: Path) -> None:
    add_front_matter(tree / "tiny-course" / "course.md", "requires:\n  - quiz: q-all")
    add_front_matter(tree / "quiz-course" / "01-osnovy" / "module.md", "requires:\n  - course: tiny-course")
    assert found(tree) == [  # quiz-course comes first in the tree, so tiny-course's entry closes it
        "tiny-course/course.md:11:5: E213 requirements wait on each other: "
        "module:quiz-module → course:tiny-course → module:quiz-module"
    ]


def test_a_module_may_require_a_quiz_of_an_earlier_module_of_its_course(tree: Path) -> None:
    """Not a cycle: the quiz's module opens without the module that waits for it."""
    add_front_matter(tree / "quiz-course" / "course.md", "requires:\n  - module: m-one")
    assert found(tree) == []

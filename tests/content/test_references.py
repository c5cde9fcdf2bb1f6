"""Keys a course names but another domain owns (a seminar in `completion: {attendance: ...}`),
checked by the pure loader against the keys it is given (E214), where the author wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.content import references
from lms.content.loader import load_tree
from lms.content.references import known_keys, register_lookup

COURSE_MD = """---
id: tiny-course
title: Крошечный курс
summary: Курс для тестов загрузчика и приложения
modules:
  - 01-one
  - 02-two
{rule}
---
Текст.
"""


def with_rule(courses_dir: Path, rule: str) -> Path:
    (courses_dir / "tiny-course" / "course.md").write_text(COURSE_MD.format(rule=rule), encoding="utf-8")
    return courses_dir


def problems(folder: Path, known: dict | None) -> list[str]:
    return [str(problem) for problem in load_tree(folder, display_prefix="c", known=known).problems]


def test_an_unknown_seminar_is_an_error_at_its_key(courses_dir):
    rule = "completion: {lessons: all, attendance: {seminar: vybory-2028, percent: 50}}"
    tree = with_rule(courses_dir, rule)
    column = len("completion: {lessons: all, attendance: {seminar: ") + 1
    assert problems(tree, {"seminar": {"vybory-2027", "drugoj"}}) == [
        f"c/tiny-course/course.md:8:{column}: E214 seminar 'vybory-2028' not found: it is neither"
        " imported nor a file in the seminars folder, so this requirement could never be met"
        " (did you mean 'vybory-2027'?)"
    ]
    result = load_tree(tree, known={"seminar": set()})
    assert result.errors and result.courses == []  # an error: the course is not imported


def test_the_spot_is_found_in_a_block_written_rule_too(courses_dir):
    rule = "completion:\n  lessons: all\n  attendance:\n    percent: 80\n    seminar: nikto"
    (problem,) = load_tree(with_rule(courses_dir, rule), known={"seminar": set()}).problems
    assert (problem.line, problem.col, problem.code, problem.is_error) == (12, 14, "E214", True)
    assert "(did you mean" not in problem.message


def test_a_known_seminar_passes(courses_dir):
    tree = with_rule(courses_dir, "completion: {attendance: {seminar: vybory-2027}}")
    assert problems(tree, {"seminar": {"vybory-2027"}}) == []


@pytest.mark.parametrize("known", [None, {}, {"other": set()}])
def test_a_kind_without_an_answer_is_not_checked(courses_dir, known):
    tree = with_rule(courses_dir, "completion: {attendance: {seminar: vybory-2027}}")
    assert problems(tree, known) == []


def test_a_broken_rule_is_reported_once_not_as_an_unknown_seminar_too(courses_dir):
    tree = with_rule(courses_dir, "completion: {attendance: {seminar: Vybory_2027}}")
    assert [p.split(" ")[1] for p in problems(tree, {"seminar": set()})] == ["E109"]


def test_lookups_are_registered_once_per_kind(monkeypatch):
    monkeypatch.setattr(references, "KEY_LOOKUPS", {})  # without the seminars lookup (it needs an app)

    def on_disk(folder, database):
        return {folder.name} if folder else {"default"} | ({"row"} if database else set())

    register_lookup("thing", on_disk)
    register_lookup("thing", on_disk)  # the same lookup again: nothing happens
    with pytest.raises(ValueError, match="'thing' has two lookups"):
        register_lookup("thing", lambda folder, database: set())
    assert known_keys()["thing"] == {"default", "row"}
    assert known_keys({"thing": Path("/x/given")}, database=False)["thing"] == {"given"}
    assert known_keys(database=False)["thing"] == {"default"}

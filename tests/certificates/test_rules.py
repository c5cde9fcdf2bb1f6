"""The completion rule: parsed and linted from course.md, then applied when progress changes, by
`flask lms completions`, and never taking a completion back."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.certificates import services
from lms.certificates.models import Certificate, CourseCompletion
from lms.content.loader import load_tree
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress import services as progress
from tests.certificates.helpers import (
    accept_assignment,
    course,
    finish_course,
    item,
    pass_scenario,
    read_lesson,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "exercises"
COURSE_MD = """---
id: ex-course
title: Практика работы с избирателями
summary: Курс для тестов сценариев и заданий
estimated_hours: 6
modules:
  - 01-praktika
completion: {rule}
---
Текст.
"""


def with_rule(folder: Path, rule: str) -> Path:
    (folder / "ex-course" / "course.md").write_text(COURSE_MD.format(rule=rule), encoding="utf-8")
    return folder


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "tree"))


AT = "c/ex-course/course.md:8:"
EVERY = ("lesson", "quiz", "scenario", "assignment", "survey")


def problems(folder: Path) -> list[str]:
    result = load_tree(folder, display_prefix="c")
    return [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in result.problems]


# --- parsing and lint ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "kind", "kinds"),
    [
        ("all", "all", EVERY),
        ("{percent: 50}", "percent", EVERY),
        ("{lessons: all, quizzes: passed, scenarios: passed, assignments: accepted}", "items", EVERY),
        ("{lessons: none, assignments: accepted}", "items", ("quiz", "scenario", "assignment", "survey")),
        ("{scenarios: none, assignments: none, surveys: none}", "items", ("lesson", "quiz")),
        ("{surveys: answered}", "items", EVERY),
    ],
)  # fmt: skip
def test_the_rule_names_the_kinds_that_count(tree: Path, rule: str, kind: str, kinds: tuple[str, ...]):
    result = load_tree(with_rule(tree, rule))
    assert result.problems == []
    (loaded,) = result.courses
    assert (loaded.completion.kind, loaded.completion.kinds) == (kind, kinds)


def test_an_absent_rule_counts_every_kind(tree: Path) -> None:
    (loaded,) = load_tree(tree).courses
    assert (loaded.completion.kind, loaded.completion.kinds) == ("all", EVERY)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("{quizes: passed}", AT + "14: E106 unknown key 'quizes' in 'completion' "
         "(did you mean 'quizzes'?)"),
        ("{lessons: all, scenarios: finished}", AT + "39: E108 'completion.scenarios' "
         "must be one of: passed, none (got 'finished')"),
        ("{assignments: passed}", AT + "27: E108 'completion.assignments' must be one of: "
         "accepted, none (got 'passed')"),
        ("{lessons: none, quizzes: none, scenarios: none, assignments: none, surveys: none}", AT + "13: E108 "
         "'completion' leaves out every item kind: nothing would complete the course"),
        ("{percent: 80, lessons: all}", AT + "13: E108 'completion' takes either 'percent' "
         "or item kinds, not both"),
        ("[lessons]", AT + "13: E108 'completion' must be 'all', '{percent: N}' or a mapping "
         "of item kinds"),
    ],
)  # fmt: skip
def test_a_wrong_rule_is_reported_where_it_is_written(tree: Path, rule: str, expected: str) -> None:
    assert problems(with_rule(tree, rule)) == [expected]


# --- applying it ----------------------------------------------------------------------------


def completions() -> list[CourseCompletion]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CourseCompletion)))


def certificates() -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Certificate)))


def test_the_default_rule_completes_when_every_item_is_done(app, imported, make_user):
    anna, igor = make_user("anna", full_name="Анна Петрова"), make_user("igor", role="instructor")
    read_lesson(anna)
    pass_scenario(anna)
    assert completions() == []
    accept_assignment(app, anna, igor, {"structure": 4, "law": 3, "contact": 1})
    (completion,) = completions()
    (certificate,) = certificates()
    assert (completion.user_id, completion.course_id, completion.lapsed_at) == (anna.id, course().id, None)
    assert certificate.completion_id == completion.id
    assert (certificate.full_name, certificate.course_title, certificate.hours) == (
        "Анна Петрова",
        "Практика работы с избирателями",
        None,
    )
    assert len(certificate.code) == 20  # 15 random bytes, URL-safe: 120 bits
    labels = [(row["label"], row["score"], row["best"]) for row in certificate.scores]
    assert labels[-1] == ("План дворовой встречи", 8, 9)
    assert [label for label, _score, _best in labels[:-1]] == [
        "Умение слушать",
        "Ясность",
        "Соблюдение закона",
        "Просьба о контакте",
    ]


def test_a_rule_that_leaves_assignments_out_completes_without_them(app, courses_dir, make_user):
    sync_tree(with_rule(courses_dir, "{lessons: all, scenarios: passed, assignments: none}"))
    db.session.commit()
    anna = make_user("anna")
    read_lesson(anna)
    assert completions() == []
    pass_scenario(anna)
    assert [c.user_id for c in completions()] == [anna.id]
    assert len(certificates()) == 1


def test_staff_never_complete(app, imported, make_user):
    boss = make_user("boss", role="admin")
    read_lesson(boss)
    pass_scenario(boss)
    assert completions() == []


def test_recomputing_issues_nothing_twice(app, imported, make_user, runner):
    anna, igor = make_user("anna"), make_user("igor", role="instructor")
    finish_course(app, anna, igor)
    code = certificates()[0].code
    first = runner.invoke(args=["lms", "completions"])
    second = runner.invoke(args=["lms", "completions"])
    expected = (
        "Проверено записей на курсы: 1; отмечено завершений: 0; выдано сертификатов: 0; больше не"
        " выполняют правило: 0; снова выполняют: 0.\n"
    )
    assert (first.exit_code, first.output) == (0, expected)
    assert second.output == expected
    assert [c.code for c in certificates()] == [code]


def test_an_import_that_changes_the_rule_completes_at_once(app, courses_dir, imported, make_user):
    anna = make_user("anna")
    read_lesson(anna)
    pass_scenario(anna)
    assert completions() == []
    sync_tree(with_rule(courses_dir, "{assignments: none}"))
    db.session.commit()
    assert [c.user_id for c in completions()] == [anna.id]


def test_the_command_catches_up_with_progress_made_before_certificates(app, imported, make_user, runner):
    anna, igor = make_user("anna"), make_user("igor", role="instructor")
    finish_course(app, anna, igor)
    db.session.execute(sa.delete(Certificate))
    db.session.execute(sa.delete(CourseCompletion))
    db.session.commit()
    result = runner.invoke(args=["lms", "completions"])
    assert result.output == (
        "Проверено записей на курсы: 1; отмечено завершений: 1; выдано сертификатов: 1; больше не"
        " выполняют правило: 0; снова выполняют: 0.\n"
    )
    assert [c.user_id for c in certificates()] == [anna.id]


def test_a_completion_that_no_longer_holds_is_kept_and_marked(app, courses_dir, imported, make_user, runner):
    anna, igor = make_user("anna"), make_user("igor", role="instructor")
    finish_course(app, anna, igor)
    (certificate,) = certificates()
    # New content: a second lesson the candidate has not read. The import recounts progress.
    lesson = courses_dir / "ex-course" / "01-praktika" / "04-itogi.md"
    lesson.write_text("---\nid: ex-itogi\ntitle: Итоги\n---\nИтоги.\n", encoding="utf-8")
    module = courses_dir / "ex-course" / "01-praktika" / "module.md"
    listed = module.read_text("utf-8").replace("  - 03-plan.md\n", "  - 03-plan.md\n  - 04-itogi.md\n")
    module.write_text(listed, encoding="utf-8")
    sync_tree(courses_dir)
    db.session.commit()
    (completion,) = completions()
    assert completion.lapsed_at is not None
    assert [(c.code, c.revoked_at) for c in certificates()] == [(certificate.code, None)]
    result = runner.invoke(args=["lms", "completions"])
    assert "больше не выполняют правило: 0; снова выполняют: 0." in result.output  # noted once, not again
    progress.complete_lesson(anna, item("ex-itogi"))
    db.session.commit()
    (completion,) = completions()
    assert completion.lapsed_at is None
    assert [c.code for c in certificates()] == [certificate.code]


def test_a_percent_rule_follows_progress(app, courses_dir, make_user):
    sync_tree(with_rule(courses_dir, "{percent: 60}"))
    db.session.commit()
    anna = make_user("anna")
    read_lesson(anna)  # 1 of 3: 33 %
    assert completions() == []
    pass_scenario(anna)  # 2 of 3: 67 %
    assert [c.user_id for c in completions()] == [anna.id]


def test_the_lookup_limit_counts_per_address_within_its_window(app):
    app.config.update(VERIFY_MAX_LOOKUPS=2, VERIFY_LOOKUP_WINDOW=timedelta(minutes=10))
    start = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert [services.lookup_allowed("10.0.0.1", now=start + timedelta(minutes=m)) for m in (0, 1, 2)] == [
        True,
        True,
        False,
    ]
    assert services.lookup_allowed("10.0.0.2", now=start + timedelta(minutes=2)) is True
    # Ten minutes after the first look-up it no longer counts: one more is allowed, then none.
    assert services.lookup_allowed("10.0.0.1", now=start + timedelta(minutes=10, seconds=1)) is True
    assert services.lookup_allowed("10.0.0.1", now=start + timedelta(minutes=10, seconds=2)) is False


def test_codes_start_with_a_letter_or_digit_and_do_not_repeat():
    """2,000 codes: with a plain token about 1 in 32 would start with "-" or "_"."""
    codes = [services.new_code() for _ in range(2000)]
    assert all(code[0].isalnum() and len(code) == 20 for code in codes)
    assert len(set(codes)) == len(codes)

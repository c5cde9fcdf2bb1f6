"""Field assignments through the loader, and grading against their rubric."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lms.content.loader import load_tree
from lms.exercises.rubric import max_points, passed, score
from tests.exercises.exfiles import (
    ASSIGNMENT_ID,
    BROKEN_TREE,
    EXERCISES_TREE,
    ITEM_PATH,
    item_tree,
    payload_of,
    problems_of,
)

TASK = "Задание.\n\n"
RUBRIC = "## Критерии оценивания\n\n### plan: План\n- 0: Нет\n- 2: Есть\n"


@pytest.fixture(scope="module")
def plan() -> dict:
    result = load_tree(EXERCISES_TREE, display_prefix="ex")
    assert result.problems == []
    [item] = [item for item in result.courses[0].modules[0].lessons if item.id == ASSIGNMENT_ID]
    assert item.kind == "assignment" and item.payload == result.rendered[item.render_key].payload
    assert item.html == (
        '<p>Составьте <strong>план</strong> дворовой встречи. Образец — в <a href="/courses/ex-course/go/'
        '01-praktika/01-urok.md">уроке</a>.</p>'
    )
    assert item.toc == []  # the rubric is payload, not part of the task's HTML
    return item.payload


def test_fixture_assignment_payload(plan: dict) -> None:
    json.dumps(plan)
    assert (plan["pass_points"], plan["max_points"]) == (6, 9)
    assert plan["attachments"] == {"max_files": 2, "max_mb": 5, "types": ["pdf", "png", "docx"]}
    assert [(c["key"], c["title"], c["line"]) for c in plan["rubric"]] == [
        ("structure", "Структура плана", 15),
        ("law", "Соблюдение закона", 20),
        ("contact", "Сбор контактов", 24),
    ]
    assert plan["rubric"][0]["levels"] == [
        {"points": 0, "html": "Плана нет"},
        {"points": 2, "html": "Основные этапы есть, но нет <em>сроков</em>"},
        {"points": 4, "html": "Этапы, сроки, ответственные и запасной вариант"},
    ]
    points = [[level["points"] for level in criterion["levels"]] for criterion in plan["rubric"]]
    assert points == [[0, 2, 4], [0, 3], [0, 1, 2]]
    assert len(plan["hash"]) == 64


def test_score_totals_one_level_per_criterion(plan: dict) -> None:
    assert score(plan["rubric"], {"structure": 4, "law": 3, "contact": 2}) == (9, 9)
    assert score(plan["rubric"], {"structure": 2, "law": 3, "contact": 1}) == (6, 9)
    assert max_points(plan["rubric"]) == 9
    assert passed(plan, 6) and not passed(plan, 5)


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ({"structure": 4, "law": 3}, "criterion 'contact' has no level chosen"),
        ({"structure": 3, "law": 3, "contact": 2}, "criterion 'structure' has no level of 3 points"),
        ({"structure": 4, "law": True, "contact": 2}, "criterion 'law' has no level of True points"),
        ({"structure": "4", "law": 3, "contact": 2}, "criterion 'structure' has no level of '4' points"),
        ({"structure": 4, "law": 3, "contact": 2, "style": 1}, "no criterion 'style' in this rubric"),
    ],
)
def test_score_refuses_incomplete_or_impossible_gradings(plan: dict, chosen: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score(plan["rubric"], chosen)


def test_attachments_defaults_and_jpeg_names(tmp_path: Path) -> None:
    body = TASK + RUBRIC
    assert payload_of(tmp_path / "1", "assignment", "pass_points: 1\n", body)["attachments"] is None
    front = "pass_points: 1\nattachments:\n"
    everything = payload_of(tmp_path / "2", "assignment", front, body)["attachments"]
    assert everything == {
        "max_files": 3,
        "max_mb": 10,
        "types": ["pdf", "docx", "xlsx", "png", "jpg", "jpeg", "webp"],
    }
    front = "pass_points: 1\nattachments:\n  max_files: 10\n  types: [JPG, .pdf, jpeg]\n"
    chosen = payload_of(tmp_path / "3", "assignment", front, body)["attachments"]
    assert chosen == {"max_files": 10, "max_mb": 10, "types": ["jpg", "jpeg", "pdf"]}


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("pass_points: -1\n", "5:14: E108"),
        ("pass_points: 1\nattachments: [pdf]\n", "6:14: E108"),
        ("pass_points: 1\nattachments:\n  max_files: 11\n", "7:14: E108"),
        ("pass_points: 1\nattachments:\n  max_mb: 0\n", "7:11: E108"),
        ("pass_points: 1\nattachments:\n  types: []\n", "7:10: E108"),
        ("pass_points: 1\nattachments:\n  types: [pfd]\n", "7:11: E611"),
        ("pass_points: 1\nattachments:\n  max_files: 1\n  max_files: 2\n", "8:3: E107"),
        ("pass_points: 1\nwords:\n  min: 1500\n  max: 700\n", "7:8: E612"),
        ("pass_points: 1\nwords: 700\n", "6:8: E108"),
        ("pass_points: 1\nwords:\n", "6:7: E108"),
        ("pass_points: 1\nwords:\n  max: 0\n", "7:8: E108"),
        ("pass_points: 1\nwords:\n  min: много\n", "7:8: E108"),
        ("pass_points: 1\nwords:\n  mni: 700\n", "7:3: E106"),
    ],
)
def test_front_matter_values_are_checked_at_their_place(tmp_path: Path, front: str, expected: str) -> None:
    assert problems_of(tmp_path, "assignment", front, TASK + RUBRIC) == [f"{ITEM_PATH}:{expected}"]


def test_word_limits_reach_the_payload_and_the_hash(tmp_path: Path) -> None:
    body = TASK + RUBRIC
    plain = payload_of(tmp_path / "1", "assignment", "pass_points: 1\n", body)
    both = payload_of(tmp_path / "2", "assignment", "pass_points: 1\nwords: {min: 700, max: 1500}\n", body)
    low = payload_of(tmp_path / "3", "assignment", "pass_points: 1\nwords:\n  min: 700\n", body)
    assert plain["words"] is None
    assert both["words"] == {"min": 700, "max": 1500}
    assert low["words"] == {"min": 700, "max": None}
    assert len({plain["hash"], both["hash"], low["hash"]}) == 3


def test_word_limits_in_the_wrong_order_are_explained(tmp_path: Path) -> None:
    tree = item_tree(tmp_path, "assignment", "pass_points: 1\nwords: {min: 1500, max: 700}\n", TASK + RUBRIC)
    [problem] = load_tree(tree, display_prefix="").problems
    assert str(problem) == f"{ITEM_PATH}:6:14: E612 'words': min 1500 is more than max 700"


def test_rubric_heading_variants_and_fenced_lines(tmp_path: Path) -> None:
    body = (
        "Задание с примером:\n\n```\n## Rubric\n### x: y\n```\n\n## rubric:\n\n"
        "### plan: План **встречи** ###\n\n- 0: Нет\n* 1: Есть [образец](https://example.org)\n"
    )
    payload = payload_of(tmp_path, "assignment", "pass_points: 1\n", body)
    [criterion] = payload["rubric"]
    assert (criterion["key"], criterion["title"], criterion["line"]) == ("plan", "План **встречи**", 16)
    assert criterion["levels"][1]["html"] == (
        'Есть <a href="https://example.org" target="_blank" rel="noopener noreferrer">образец</a>'
    )


def test_hash_follows_the_rubric_and_policy_not_the_task(tmp_path: Path) -> None:
    def digest(folder: str, body: str, points: int = 1) -> str:
        return payload_of(tmp_path / folder, "assignment", f"pass_points: {points}\n", body)["hash"]

    first = digest("1", TASK + RUBRIC)
    task = digest("2", "Другое задание.\n\n" + RUBRIC)
    points = digest("3", TASK + RUBRIC, points=2)
    level = digest("4", TASK + RUBRIC.replace("Есть", "Да"))
    assert first == task and len({first, points, level}) == 3


BROKEN_ASSIGNMENTS = [
    "xb/bad-exercises/01-m/07-rubric.md:7:16: E611",
    "xb/bad-exercises/01-m/07-rubric.md:12:1: E609",
    "xb/bad-exercises/01-m/07-rubric.md:14:5: E604",
    "xb/bad-exercises/01-m/07-rubric.md:17:5: E604",
    "xb/bad-exercises/01-m/07-rubric.md:23:3: E606",
    "xb/bad-exercises/01-m/07-rubric.md:24:3: E606",
    "xb/bad-exercises/01-m/07-rubric.md:26:3: E607",
    "xb/bad-exercises/01-m/07-rubric.md:27:3: E607",
    "xb/bad-exercises/01-m/07-rubric.md:29:5: E608",
    "xb/bad-exercises/01-m/07-rubric.md:32:5: E605",
    "xb/bad-exercises/01-m/08-norubric.md:5:14: W601",
    "xb/bad-exercises/01-m/08-norubric.md:7:3: E106",
    "xb/bad-exercises/01-m/08-norubric.md:8:1: E601",
    "xb/bad-exercises/01-m/08-norubric.md:8:1: E602",
    "xb/bad-exercises/01-m/09-points.md:5:14: E610",
    "xb/bad-exercises/01-m/09-points.md:17:23: E303",
    "xb/bad-exercises/01-m/10-empty-rubric.md:9:1: E603",
]


def test_broken_assignments_report_every_problem_at_its_exact_place() -> None:
    problems = load_tree(BROKEN_TREE, display_prefix="xb").problems
    found = [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in problems]
    assignment_files = ("07", "08", "09", "10")
    assert [line for line in found if line.rsplit("/", 1)[1][:2] in assignment_files] == BROKEN_ASSIGNMENTS


def test_broken_assignment_messages_explain_the_fix() -> None:
    problems = load_tree(BROKEN_TREE, display_prefix="xb").problems
    messages = {str(p).removeprefix("xb/bad-exercises/01-m/") for p in problems}
    for expected in [
        "07-rubric.md:7:16: E611 attachment type 'exe' is not allowed"
        " (use pdf, docx, xlsx, png, jpg, jpeg, webp)",
        "07-rubric.md:14:5: E604 criterion heading must be `### id: title` (got `### structure Структура`)",
        "07-rubric.md:27:3: E607 levels go from the lowest points to the highest, each different (1 after 3)",
        "07-rubric.md:32:5: E605 duplicate criterion id 'plan' (first on line 21)",
        "08-norubric.md:7:3: E106 unknown key 'max_file' in 'attachments' (did you mean 'max_files'?)",
        "09-points.md:5:14: E610 pass_points: 10 is more than the 5 points of the rubric",
    ]:
        assert expected in messages


def test_every_exercise_code_is_in_the_authoring_table() -> None:
    root = Path(__file__).resolve().parents[2]
    parsers = ["exercises/fields.py", "exercises/graph.py", "exercises/nodes.py", "exercises/rubric.py"]
    parsers.append("exercises/scenario.py")
    texts = [(root / "lms" / name).read_text("utf-8") for name in parsers]
    emitted = {code for text in texts for code in re.findall(r'"([EW][56]\d\d)"', text)}
    docs = (root / "docs" / "authoring.md").read_text("utf-8")
    table = set(re.findall(r"^\| ([EW][56]\d\d) \|", docs, re.MULTILINE))
    assert len(emitted) == 36 and emitted == table  # E501-E520, E601-E612, W501-W502, W601-W602

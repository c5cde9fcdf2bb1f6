"""The survey file format through the loader: the payload, and every problem at its exact place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.content.loader import load_tree
from lms.content.registry import ITEM_KINDS
from lms.surveys.format import parse_survey

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
SURVEY_TREE = FIXTURES / "survey"
SAMPLE_COURSES = Path(__file__).resolve().parents[2] / "courses"
BODY_LINE = 6  # the first body line under the four-line front matter below


def survey_tree(root: Path, body: str, front: str = "anonymous: false\n") -> Path:
    module = root / "c" / "m"
    module.mkdir(parents=True, exist_ok=True)
    (root / "c" / "course.md").write_text(
        "---\nid: c-course\ntitle: C\nsummary: S\nmodules: [m]\n---\n", encoding="utf-8"
    )
    (module / "module.md").write_text("---\nid: c-module\ntitle: M\nitems: [s.md]\n---\n", encoding="utf-8")
    # `front` is one line, so the body starts on line BODY_LINE + 1 with it.
    (module / "s.md").write_text(f"---\nid: s\ntitle: S\ntype: survey\n{front}---\n{body}", encoding="utf-8")
    return root


def problems_of(root: Path, body: str, front: str = "anonymous: false\n") -> list[str]:
    result = load_tree(survey_tree(root, body, front), display_prefix="")
    return [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in result.problems]


def payload_of(root: Path, body: str, front: str = "anonymous: false\n") -> dict:
    result = load_tree(survey_tree(root, body, front), display_prefix="")
    assert [str(p) for p in result.problems] == []
    return result.courses[0].modules[0].lessons[0].payload


AT = "c/m/s.md"


def test_survey_kind_is_registered() -> None:
    kind = ITEM_KINDS["survey"]
    assert kind.body is parse_survey
    assert (kind.page, kind.page_key) == ("surveys.overview", "survey_key")
    assert kind.fields["anonymous"].required


def test_fixture_surveys_load_into_plain_data() -> None:
    result = load_tree(SURVEY_TREE, display_prefix="s")
    assert result.problems == []
    lesson, named, anonymous = result.courses[0].modules[0].lessons
    assert (lesson.kind, named.kind, anonymous.kind) == ("lesson", "survey", "survey")
    assert named.payload["anonymous"] is False and anonymous.payload["anonymous"] is True
    questions = {q["key"]: q for q in named.payload["questions"]}
    assert [q["type"] for q in named.payload["questions"]] == ["scale", "single", "multiple", "text"]
    scale = questions["obshchee"]
    assert [option["key"] for option in scale["options"]] == ["1", "2", "3", "4", "5"]
    # Labelled ends only: the middle points are shown as numbers.
    assert [option["html"] for option in scale["options"]] == [
        "Совсем не понравился", "", "", "", "Очень понравился"
    ]  # fmt: skip
    assert questions["format"]["options"] == [
        {"key": "lekcii", "html": "Лекции"},
        {"key": "praktika", "html": "Практика"},
    ]
    assert "<p>Какой формат вам ближе?</p>" in questions["format"]["prompt_html"]
    # Defaults: a scale and a single choice are asked, multiple and text are optional.
    assert [q["required"] for q in named.payload["questions"]] == [True, True, False, False]
    flags = [q["required"] for q in anonymous.payload["questions"]]
    assert flags == [True, False]


def test_the_sample_seminar_course_loads_without_problems() -> None:
    result = load_tree(SAMPLE_COURSES, display_prefix="courses")
    assert [str(p) for p in result.problems] == []
    seminar = next(course for course in result.courses if course.id == "seminar-2027")
    items = [item for module in seminar.modules for item in module.lessons]
    surveys = {item.id: item for item in items if item.kind == "survey"}
    assert {"otzyv-den-1", "otzyv-itogi"} <= set(surveys)
    assert surveys["otzyv-den-1"].payload["anonymous"] is False
    assert surveys["otzyv-itogi"].payload["anonymous"] is True


def test_custom_labels_and_markdown_in_options(tmp_path: Path) -> None:
    body = "## q [scale]\nОцените.\n\n- 1: *плохо*\n- 2: так себе\n- 3: **хорошо**\n"
    [question] = payload_of(tmp_path, body)["questions"]
    labels = [option["html"] for option in question["options"]]
    assert labels == ["<em>плохо</em>", "так себе", "<strong>хорошо</strong>"]


def test_a_free_text_prompt_may_hold_a_list(tmp_path: Path) -> None:
    body = "## q [text, required]\nРасскажите:\n\n- что понравилось;\n- что нет.\n"
    [question] = payload_of(tmp_path, body)["questions"]
    assert question["required"] is True and question["options"] == []
    assert "<li>что понравилось;</li>" in question["prompt_html"]


def test_raw_html_in_a_prompt_is_cleaned(tmp_path: Path) -> None:
    body = "## q [single]\nВыберите <script>alert(1)</script>\n\n- a: A\n- b: B\n"
    [question] = payload_of(tmp_path, body)["questions"]
    assert "<script>" not in question["prompt_html"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Только введение.\n", [f"{AT}:6:1: E701"]),
        ("## q\nТекст\n", [f"{AT}:7:4: E702"]),
        ("## q [scales]\nТекст\n", [f"{AT}:7:7: E703"]),
        ("## Q_1 [text]\nТекст\n", [f"{AT}:7:4: E704"]),
        ("## q [text]\nА\n## q [text]\nБ\n", [f"{AT}:9:1: E705"]),
        ("## q [text]\n", [f"{AT}:7:1: E706"]),
        (
            "## q [single]\nВыбор\n- a: A\n- Б: B\n- c:\n",
            [f"{AT}:7:1: E709", f"{AT}:10:3: E707", f"{AT}:11:3: E707"],
        ),
        ("## q [single]\nВыбор\n- a: A\n- a: B\n", [f"{AT}:7:1: E709", f"{AT}:10:3: E708"]),
        ("## q [scale]\nОцените\n- 1: плохо\n- 11: отлично\n", [f"{AT}:7:1: E710", f"{AT}:10:3: E710"]),
        ("## q [scale]\nОцените\n- 2: так\n- 5: отлично\n", [f"{AT}:7:1: E710"]),
        ("## q [scale]\nОцените\n- плохо\n- 5: отлично\n", [f"{AT}:7:1: E710", f"{AT}:9:3: E707"]),
        ("## q [single]\nВыбор\n- a: A\nлишний текст\n- b: B\n", [f"{AT}:10:1: E711"]),
        ("## q [text, maybe]\nТекст\n", [f"{AT}:7:13: E712"]),
    ],
)
def test_problems_are_reported_at_their_place(tmp_path: Path, body: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, body) == expected


def test_anonymous_must_be_stated_and_be_true_or_false(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "## q [text]\nТекст\n", front="minutes: 3\n") == [f"{AT}:1:1: E105"]
    assert problems_of(tmp_path / "b", "## q [text]\nТекст\n", front="anonymous: maybe\n") == [
        f"{AT}:5:12: E108"
    ]


def test_every_survey_problem_code_is_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    emitted = set(re.findall(r'"(E7\d\d)"', (root / "lms" / "surveys" / "format.py").read_text("utf-8")))
    docs = (root / "docs" / "authoring.md").read_text("utf-8")
    table = set(re.findall(r"^\| (E7\d\d) \|", docs, re.MULTILINE))
    assert emitted == table == {f"E7{n:02d}" for n in range(1, 13)}

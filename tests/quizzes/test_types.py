"""Each question type: parsing its answer lines, reading a form and grading a response."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.quizzes.types import QUESTION_TYPES
from tests.quizzes.quizfiles import QUIZ_PATH, problems_of, question_of

SINGLE = {
    "key": "s",
    "type": "single",
    "points": 1.0,
    "options": [
        {"key": "a", "correct": False},
        {"key": "b", "correct": True},
        {"key": "c", "correct": False},
    ],
    "answer": {},
}
MULTIPLE = {
    "key": "m",
    "type": "multiple",
    "points": 2.0,
    "options": [
        {"key": "a", "correct": True},
        {"key": "b", "correct": True},
        {"key": "c", "correct": False},
        {"key": "d", "correct": False},
    ],
    "answer": {},
}
TRUEFALSE = {"key": "t", "type": "truefalse", "options": [], "answer": {"value": False}}
SHORT = {"key": "sh", "type": "short", "options": [], "answer": {"accepted": ["Ёлка-палка", "ТИК"]}}
NUMERIC = {"key": "n", "type": "numeric", "options": [], "answer": {"value": 0.3, "tolerance": 0.0}}
RANGE = {"key": "r", "type": "numeric", "options": [], "answer": {"min": 40.0, "max": 44.0}}
ORDERING = {
    "key": "o",
    "type": "ordering",
    "options": [{"key": "z"}, {"key": "x"}, {"key": "y"}, {"key": "w"}],
    "answer": {"order": ["z", "x", "y", "w"]},
}
MATCHING = {
    "key": "p",
    "type": "matching",
    "options": [{"key": "a"}, {"key": "b"}, {"key": "c"}],
    "answer": {},
}


def coerce(question: dict, form: dict) -> object:
    return QUESTION_TYPES[question["type"]].coerce(question, form)


def grade(question: dict, response: object) -> float:
    return QUESTION_TYPES[question["type"]].grade(question, response)


def at(line: int, col: int, code: str) -> str:
    return f"{QUIZ_PATH}:{line}:{col}: {code}"


# --- parsing: the body starts on line 6, so `## q` is line 6 and its first answer line 9.


def test_single_parses_options_with_feedback(tmp_path: Path) -> None:
    question = question_of(tmp_path, "## q [single]\nВопрос\n\n- [ ] a: Нет\n  > Увы.\n- [X] b: Да\n")
    assert question["options"] == [
        {"key": "a", "html": "Нет", "feedback_html": "<p>Увы.</p>", "correct": False},
        {"key": "b", "html": "Да", "feedback_html": "", "correct": True},
    ]
    assert question["answer"] == {} and question["explanation_html"] == ""


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("- [ ] a: Да\n- [ ] b: Нет\n", [at(6, 1, "E412")]),
        ("- [x] a: Да\n- [x] b: Нет\n- [x] c: Может\n", [at(10, 3, "E412"), at(11, 3, "E412")]),
        ("- [x] a: Да\n", [at(6, 1, "E414")]),
        ("- [x] a: Да\n- [ ] A: Нет\n", [at(10, 7, "E408")]),
        ("- [x] a: Да\n- [ ] a: Нет\n", [at(10, 7, "E409")]),
        ("- [x] a: Да\n- [ ] b: да!\n", [at(10, 10, "W402")]),
        ("- [x] a: Да\n- [ ] b: Нет\n= 1\n", [at(11, 1, "E410")]),
        ("- [x] a: Да\n  Продолжение\n- [ ] b: Нет\n", [at(10, 3, "E411")]),
    ],
)
def test_single_problems(tmp_path: Path, answers: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"## q [single]\nВопрос\n\n{answers}") == expected


def test_multiple_needs_a_right_option(tmp_path: Path) -> None:
    body = "## q [multiple, 3]\nВопрос\n\n- [ ] a: Да\n- [ ] b: Нет\n"
    assert problems_of(tmp_path, body) == [at(6, 1, "E413")]
    question = question_of(tmp_path / "ok", body.replace("[ ] b", "[x] b"))
    assert question["points"] == 3.0 and [o["correct"] for o in question["options"]] == [False, True]


@pytest.mark.parametrize(
    ("line", "value"),
    [("= true", True), ("= Неверно", False), ("= да", True), ("=нет", False), ("= FALSE", False)],
)
def test_truefalse_values(tmp_path: Path, line: str, value: bool) -> None:
    question = question_of(tmp_path, f"## q [truefalse]\nУтверждение\n\n{line}\n")
    assert question["answer"] == {"value": value} and question["options"] == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("", [at(6, 1, "E415")]),
        ("= да\n= нет\n", [at(10, 1, "E415")]),
        ("= ложь\n", [at(9, 3, "E415")]),
        ("- [x] a: да\n", [at(6, 1, "E415"), at(9, 1, "E410")]),
    ],
)
def test_truefalse_problems(tmp_path: Path, answers: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"## q [truefalse]\nУтверждение\n\n{answers}") == expected


def test_short_keeps_accepted_answers_as_written(tmp_path: Path) -> None:
    question = question_of(tmp_path, "## q [short]\nВопрос\n\n=   Территориальная комиссия  \n= ТИК\n")
    assert question["answer"] == {"accepted": ["Территориальная комиссия", "ТИК"]}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("", [at(6, 1, "E416")]),
        ("= «…»\n", [at(9, 3, "E416")]),
        ("= Ёлка\n= елка.\n", [at(10, 3, "W402")]),
    ],
)
def test_short_problems(tmp_path: Path, answers: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"## q [short]\nВопрос\n\n{answers}") == expected


def test_a_question_needs_a_prompt(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "1", "## q [short]\n\n= x\n") == [at(6, 1, "E407")]
    # A numbered line is prompt text, not an answer, outside ordering questions.
    assert problems_of(tmp_path / "2", "## q [short]\n1. a: Ёлка\n") == [at(6, 1, "E416")]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("= 42", {"value": 42.0, "tolerance": 0.0}),
        ("= -3,5", {"value": -3.5, "tolerance": 0.0}),
        ("= 42 ± 0,5", {"value": 42.0, "tolerance": 0.5}),
        ("= 42 +- 1", {"value": 42.0, "tolerance": 1.0}),
        ("= 42+/-1", {"value": 42.0, "tolerance": 1.0}),
        ("= 40..44", {"min": 40.0, "max": 44.0}),
        ("= -5 .. -3", {"min": -5.0, "max": -3.0}),
        ("= 1 000..2 000", {"min": 1000.0, "max": 2000.0}),
    ],
)
def test_numeric_answers(tmp_path: Path, line: str, answer: dict) -> None:
    assert question_of(tmp_path, f"## q [numeric]\nСколько?\n\n{line}\n")["answer"] == answer


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("", [at(6, 1, "E417")]),
        ("= 1\n= 2\n", [at(10, 1, "E417")]),
        ("= сорок\n", [at(9, 3, "E417")]),
        ("= 42 ± -1\n", [at(9, 8, "E417")]),
        ("= 42 ± \n", [at(9, 7, "E417")]),
        ("= x ± 1\n", [at(9, 3, "E417")]),
        ("= 44..40\n", [at(9, 7, "E417")]),
        ("= 1..b\n", [at(9, 6, "E417")]),
        ("= 42\n- [x] a: 42\n", [at(10, 1, "E410")]),
        ("= 42\n1. a: 42\n", [at(10, 1, "E410")]),
    ],
)
def test_numeric_problems(tmp_path: Path, answers: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"## q [numeric]\nСколько?\n\n{answers}") == expected


def test_ordering_keeps_the_written_order(tmp_path: Path) -> None:
    body = "## q [ordering]\nПо порядку\n\n1. b: Второй?\n1. a: Первый?\n3) c: *Третий*\n"
    question = question_of(tmp_path, body)
    assert question["options"] == [
        {"key": "b", "html": "Второй?"},
        {"key": "a", "html": "Первый?"},
        {"key": "c", "html": "<em>Третий</em>"},
    ]
    assert question["answer"] == {"order": ["b", "a", "c"]}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("1. a: Один\n", [at(6, 1, "E418")]),
        ("1. a: Один\n2. Два\n", [at(10, 4, "E408")]),
        ("1. a: Один\n2. b:\n", [at(10, 6, "E408")]),
        ("1. a: Один\n2. a: Два\n", [at(10, 4, "E409")]),
        ("1. a: Один\n2. b: Два\n- [x] c: Три\n", [at(11, 1, "E410")]),
        ("1. a: Один\n2. b: Два\n- c: Три\n", [at(11, 1, "E410")]),
    ],
)
def test_ordering_problems(tmp_path: Path, answers: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"## q [ordering]\nПо порядку\n\n{answers}") == expected


def test_matching_pairs(tmp_path: Path) -> None:
    question = question_of(tmp_path, "## q [matching]\nСопоставьте\n\n- a: Один=>1\n* b: **Два** =>  2 \n")
    assert question["options"] == [
        {"key": "a", "left_html": "Один", "right_html": "1"},
        {"key": "b", "left_html": "<strong>Два</strong>", "right_html": "2"},
    ]
    assert question["answer"] == {}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("- a: Один => 1\n", [at(6, 1, "E419")]),
        ("- a: Один => 1\n- b: Два - 2\n", [at(10, 6, "E419")]),
        ("- a: Один => 1\n- b: Два =>\n", [at(10, 6, "E419")]),
        ("- a: Один => 1\n- Два => 2\n", [at(10, 3, "E408")]),
        ("- a: Один => 1\n- b: Два => 1\n", [at(10, 13, "W402")]),
        ("- a: Один => 1\n- b: один => 2\n", [at(10, 6, "W402")]),
        ("- a: Один => 1\n- b: Два => 2\n  > отзыв\n", [at(11, 1, "E410")]),
    ],
)
def test_matching_problems(tmp_path: Path, answers: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"## q [matching]\nСопоставьте\n\n{answers}") == expected


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("## q", [at(6, 4, "E402")]),
        ("##", [at(6, 3, "E402")]),
        ("## q [single, 1, 2]", [at(6, 15, "E406")]),
        ("## q [single, 1 000]", [at(6, 15, "E406")]),
        ("## q []", [at(6, 4, "E402")]),
        ("## q [Single]", [at(6, 7, "E403")]),
        ("## q [ multipel ]", [at(6, 8, "E403")]),
        ("## q_1 [single]", [at(6, 4, "E404")]),
        ("## q [single, -1]", [at(6, 15, "E406")]),
        ("## q [single,  много]", [at(6, 16, "E406")]),
    ],
)
def test_heading_problems(tmp_path: Path, heading: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, f"{heading}\nВопрос\n\n- [x] a: Да\n- [ ] b: Нет\n") == expected


def test_points_may_be_fractional_with_a_comma(tmp_path: Path) -> None:
    assert question_of(tmp_path, "## q [single, 1,5]\nВопрос\n\n- [x] a: Да\n- [ ] b: Нет\n")["points"] == 1.5


def test_heading_may_have_closing_hashes(tmp_path: Path) -> None:
    question = question_of(tmp_path, "##  q [single, 2] ##\nВопрос\n\n- [x] a: Да\n- [ ] b: Нет\n")
    assert (question["key"], question["points"]) == ("q", 2.0)


# --- coerce and grade


def test_single() -> None:
    assert coerce(SINGLE, {"q-s": ["b"]}) == "b"
    assert coerce(SINGLE, {"q-s": ["zzz", " c "]}) == "c"
    assert coerce(SINGLE, {"q-s": "a"}) == "a"
    assert coerce(SINGLE, {"q-s": ["zzz"]}) is None
    assert coerce(SINGLE, {}) is None
    assert [grade(SINGLE, r) for r in ("b", "a", "zzz", ["b"], 1)] == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_multiple() -> None:
    assert coerce(MULTIPLE, {"q-m": ["c", "a", "a", "evil", ""]}) == ["a", "c"]
    assert coerce(MULTIPLE, {"q-m": ["evil"]}) is None
    assert coerce(MULTIPLE, {"q-m": []}) is None
    cases = {
        ("a", "b"): 1.0,
        ("a",): 0.5,
        ("a", "c"): 0.0,
        ("a", "b", "c"): 0.5,
        ("c", "d"): 0.0,
        ("a", "b", "c", "d"): 0.0,
        ("a", "zzz"): 0.5,
    }
    for response, credit in cases.items():
        assert grade(MULTIPLE, list(response)) == credit, response
    assert grade(MULTIPLE, "a") == 0.0


@given(st.lists(st.sampled_from(["a", "b", "c", "d", "x"]), max_size=8))
def test_multiple_credit_is_within_zero_and_one(chosen: list[str]) -> None:
    credit = grade(MULTIPLE, coerce(MULTIPLE, {"q-m": chosen}) or [])
    assert 0.0 <= credit <= 1.0


def test_truefalse() -> None:
    assert coerce(TRUEFALSE, {"q-t": ["false"]}) is False
    assert coerce(TRUEFALSE, {"q-t": ["maybe", "true"]}) is True
    assert coerce(TRUEFALSE, {"q-t": ["да"]}) is None
    assert [grade(TRUEFALSE, r) for r in (False, True, "false", 0, None)] == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_short() -> None:
    assert coerce(SHORT, {"q-sh": ["  ёлка  палка! "]}) == "ёлка  палка!"
    assert coerce(SHORT, {"q-sh": ["x" * 600]}) == "x" * 500
    assert coerce(SHORT, {"q-sh": ["   "]}) is None
    assert coerce(SHORT, {"q-sh": ["", "тик"]}) == "тик"
    for typed in ("ЕЛКА ПАЛКА", "«Ёлка—палка»", "ёлка, палка…", "  Ёлка\n\tпалка ", "тик!"):
        assert grade(SHORT, typed) == 1.0, typed
    # Punctuation reads as a space, so it cannot glue or split words.
    for typed in ("ёлкапалка", "т.и.к.", "Т И К"):
        assert grade(SHORT, typed) == 0.0, typed
    assert grade(SHORT, "...") == 0.0
    assert grade(SHORT, 5) == 0.0


def test_numeric() -> None:
    assert coerce(NUMERIC, {"q-n": [" 0,3 "]}) == 0.3
    assert coerce(NUMERIC, {"q-n": ["1 000,5"]}) == 1000.5
    assert coerce(NUMERIC, {"q-n": ["abc"]}) is None
    assert coerce(NUMERIC, {"q-n": ["nan"]}) is None
    assert coerce(NUMERIC, {"q-n": ["1e400"]}) is None
    assert grade(NUMERIC, 0.1 + 0.2) == 1.0  # float rounding is not a wrong answer
    assert grade(NUMERIC, 0.31) == 0.0
    tolerant = {**NUMERIC, "answer": {"value": 42.0, "tolerance": 0.5}}
    assert [grade(tolerant, x) for x in (41.5, 42.5, 42.50001, 41.4)] == [1.0, 1.0, 0.0, 0.0]
    assert [grade(RANGE, x) for x in (40, 44.0, 39.99, 44.01)] == [1.0, 1.0, 0.0, 0.0]
    assert [grade(RANGE, x) for x in (True, "42", float("nan"), None)] == [0.0, 0.0, 0.0, 0.0]


def test_ordering() -> None:
    form = {"q-o-z": ["1"], "q-o-x": ["2"], "q-o-y": ["3"], "q-o-w": ["4"]}
    assert coerce(ORDERING, form) == ["z", "x", "y", "w"]
    assert grade(ORDERING, ["z", "x", "y", "w"]) == 1.0
    # A tie keeps the place for the first key and moves the other on; impossible places and
    # unknown items are ignored; items left without a place stay without one.
    tied = {"q-o-z": ["2"], "q-o-x": ["2"], "q-o-y": ["9"], "q-o-w": ["abc"], "q-o-evil": ["1"]}
    assert coerce(ORDERING, tied) == [None, "x", "z", None]
    assert coerce(ORDERING, {"q-o-y": ["1"]}) == ["y", None, None, None]
    assert coerce(ORDERING, {"q-o-w": ["4"], "q-o-x": ["4"]}) == ["x", None, None, "w"]  # wraps around
    assert coerce(ORDERING, {"q-o-y": ["0"], "q-o-x": ["-1"]}) is None
    assert grade(ORDERING, ["x", "z", "y", "w"]) == 0.5
    assert grade(ORDERING, ["w", "z", "x", "y"]) == 0.0
    assert grade(ORDERING, ["z"]) == 0.25
    # Placing only the first item earns that item, never the ones left unplaced.
    assert grade(ORDERING, coerce(ORDERING, {"q-o-z": ["1"]})) == 0.25
    assert grade(ORDERING, [None, "x", None, None]) == 0.25
    assert grade(ORDERING, {"z": 1}) == 0.0


def test_matching() -> None:
    assert coerce(MATCHING, {"q-p-a": ["a"], "q-p-b": ["c"], "q-p-c": ["evil"], "q-p-evil": ["a"]}) == {
        "a": "a",
        "b": "c",
    }
    assert coerce(MATCHING, {"q-p-a": [""]}) is None
    assert grade(MATCHING, {"a": "a", "b": "b", "c": "c"}) == 1.0
    assert grade(MATCHING, {"a": "a", "b": "c", "c": "b"}) == pytest.approx(1 / 3)
    assert grade(MATCHING, {"a": "a", "b": "a", "c": "a"}) == pytest.approx(1 / 3)
    assert grade(MATCHING, ["a"]) == 0.0


@pytest.mark.parametrize(
    "question",
    [SINGLE, MULTIPLE, TRUEFALSE, SHORT, NUMERIC, RANGE, ORDERING, MATCHING],
    ids=lambda q: q["key"],
)
def test_correct_response_earns_full_credit(question: dict) -> None:
    assert grade(question, QUESTION_TYPES[question["type"]].correct_response(question)) == 1.0
    assert grade(question, None) == 0.0

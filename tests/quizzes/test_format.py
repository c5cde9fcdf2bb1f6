"""The quiz file format through the loader: payload shape, exact problem positions, the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import markdown
import pytest

from lms.content import render as render_module
from lms.content.lessons import markdown_body
from lms.content.loader import load_tree
from lms.content.registry import ITEM_KINDS
from lms.content.render import Rendered
from lms.quizzes.fields import QUIZ_DEFAULTS
from lms.quizzes.format import parse_quiz
from tests.quizzes.quizfiles import (
    BROKEN_TREE,
    QUIZ_PATH,
    QUIZ_TREE,
    payload_of,
    problems_of,
    question_of,
    quiz_tree,
)

ALL_TYPES = {"single", "multiple", "truefalse", "short", "numeric", "ordering", "matching"}


def _quiz(result):
    [course] = result.courses
    lesson, quiz = course.modules[0].lessons
    return lesson, quiz


def test_quiz_kind_is_registered_with_its_policy_fields() -> None:
    kind = ITEM_KINDS["quiz"]
    assert kind.body is parse_quiz and ITEM_KINDS["lesson"].body is markdown_body
    assert set(kind.fields) == set(QUIZ_DEFAULTS)


def test_fixture_quiz_loads_into_plain_data() -> None:
    result = load_tree(QUIZ_TREE, display_prefix="q")
    assert result.problems == []
    lesson, quiz = _quiz(result)
    assert (result.courses[0].id, quiz.id, quiz.kind) == ("quiz-course", "q-all", "quiz")
    assert lesson.kind == "lesson"
    assert lesson.payload == {}
    assert quiz.payload["policy"] == {
        "pass_mark": 60,
        "attempts": 2,
        "time_limit": 5,
        "shuffle_questions": True,
        "shuffle_options": True,
        "draw": None,
        "show_answers": "always",
        "required": True,
        "feedback": "optional",
    }
    questions = quiz.payload["questions"]
    assert {q["type"] for q in questions} == ALL_TYPES
    assert [(q["key"], q["type"], q["points"], q["line"]) for q in questions] == [
        ("fond-schet", "single", 1.0, 14),
        ("dokumenty", "multiple", 2.0, 26),
        ("anonim", "truefalse", 1.0, 36),
        ("organ", "short", 1.0, 44),
        ("dni", "numeric", 1.0, 50),
        ("dolya", "numeric", 0.5, 56),
        ("etapy", "ordering", 1.0, 61),
        ("terminy", "matching", 1.0, 69),
    ]
    # The introduction is the quiz's HTML, its link rewritten and checked like a lesson's.
    assert quiz.html.startswith('<p>Проверка по уроку <a href="/courses/quiz-course/go/01-osnovy/01-urok.md#')
    assert [link.target for link in quiz.links] == ["01-urok.md#специальный-счёт"]
    assert quiz.payload == result.rendered[quiz.render_key].payload
    json.dumps(quiz.payload)  # plain JSON all the way down


def test_fixture_quiz_payload_per_type() -> None:
    _lesson, quiz = _quiz(load_tree(QUIZ_TREE))
    by_key = {q["key"]: q for q in quiz.payload["questions"]}
    single = by_key["fond-schet"]
    assert single["prompt_html"] == "<p>Где должны находиться средства избирательного фонда?</p>"
    assert single["explanation_html"] == (
        "<p>Все средства фонда проходят через специальный избирательный счёт.</p>"
    )
    assert single["answer"] == {}
    assert single["options"][1] == {
        "key": "schet",
        "html": "На <strong>специальном</strong> избирательном счёте",
        "feedback_html": "<p>Верно: все поступления и расходы идут через специальный счёт.</p>",
        "correct": True,
    }
    assert [(o["key"], o["correct"], o["feedback_html"] != "") for o in single["options"]] == [
        ("kassa", False, True),
        ("schet", True, True),
        ("karta", False, False),
    ]
    assert [o["key"] for o in by_key["dokumenty"]["options"] if o["correct"]] == ["itog", "vypiska"]
    assert by_key["anonim"]["answer"] == {"value": False} and by_key["anonim"]["options"] == []
    assert by_key["anonim"]["explanation_html"].startswith("<p>Анонимные пожертвования перечисляются")
    assert by_key["organ"]["answer"] == {"accepted": ["Территориальная избирательная комиссия", "ТИК"]}
    assert by_key["dni"]["answer"] == {"value": 27.0, "tolerance": 0.5}
    assert by_key["dolya"]["answer"] == {"min": 4.0, "max": 6.0}
    ordering = by_key["etapy"]
    assert ordering["answer"] == {"order": ["vydvizhenie", "podpisi", "registraciya", "agitaciya"]}
    assert ordering["options"][0] == {"key": "vydvizhenie", "html": "Выдвижение кандидата"}
    matching = by_key["terminy"]
    assert matching["answer"] == {}
    assert matching["options"][1] == {
        "key": "schet",
        "left_html": "Заявление об открытии счёта",
        "right_html": "Банк",
    }
    assert all(len(q["hash"]) == 64 for q in by_key.values())
    assert len({q["hash"] for q in by_key.values()}) == len(by_key)


BROKEN_EXPECTED = [
    "qb/bad-quizzes/01-m/01-headings.md:5:7: E420",
    "qb/bad-quizzes/01-m/01-headings.md:6:12: W401",
    "qb/bad-quizzes/01-m/01-headings.md:10:4: E404",
    "qb/bad-quizzes/01-m/01-headings.md:16:4: E402",
    "qb/bad-quizzes/01-m/01-headings.md:19:8: E403",
    "qb/bad-quizzes/01-m/01-headings.md:22:16: E406",
    "qb/bad-quizzes/01-m/01-headings.md:28:4: E405",
    "qb/bad-quizzes/01-m/01-headings.md:33:1: E407",
    "qb/bad-quizzes/01-m/02-choice.md:7:1: E412",
    "qb/bad-quizzes/01-m/02-choice.md:7:1: E422",
    "qb/bad-quizzes/01-m/02-choice.md:10:29: E301",
    "qb/bad-quizzes/01-m/02-choice.md:11:14: E304",
    "qb/bad-quizzes/01-m/02-choice.md:11:14: W302",
    "qb/bad-quizzes/01-m/02-choice.md:20:1: E421",
    "qb/bad-quizzes/01-m/02-choice.md:20:3: E412",
    "qb/bad-quizzes/01-m/02-choice.md:25:1: E413",
    "qb/bad-quizzes/01-m/02-choice.md:28:1: E421",
    "qb/bad-quizzes/01-m/02-choice.md:29:1: E421",
    "qb/bad-quizzes/01-m/02-choice.md:29:10: W402",
    "qb/bad-quizzes/01-m/02-choice.md:30:7: E409",
    "qb/bad-quizzes/01-m/02-choice.md:31:1: E421",
    "qb/bad-quizzes/01-m/02-choice.md:31:3: E408",
    "qb/bad-quizzes/01-m/02-choice.md:32:7: E408",
    "qb/bad-quizzes/01-m/02-choice.md:33:9: E408",
    "qb/bad-quizzes/01-m/02-choice.md:34:1: E408",
    "qb/bad-quizzes/01-m/02-choice.md:39:1: E414",
    "qb/bad-quizzes/01-m/03-values.md:6:1: E415",
    "qb/bad-quizzes/01-m/03-values.md:13:1: E415",
    "qb/bad-quizzes/01-m/03-values.md:18:3: E415",
    "qb/bad-quizzes/01-m/03-values.md:20:1: E416",
    "qb/bad-quizzes/01-m/03-values.md:26:3: E416",
    "qb/bad-quizzes/01-m/03-values.md:28:3: W402",
    "qb/bad-quizzes/01-m/03-values.md:33:3: E417",
    "qb/bad-quizzes/01-m/03-values.md:38:8: E417",
    "qb/bad-quizzes/01-m/03-values.md:43:7: E417",
    "qb/bad-quizzes/01-m/03-values.md:45:1: E417",
    "qb/bad-quizzes/01-m/03-values.md:48:1: E410",
    "qb/bad-quizzes/01-m/04-order.md:6:1: E418",
    "qb/bad-quizzes/01-m/04-order.md:10:1: E410",
    "qb/bad-quizzes/01-m/04-order.md:16:7: W402",
    "qb/bad-quizzes/01-m/04-order.md:17:4: E409",
    "qb/bad-quizzes/01-m/04-order.md:19:1: E419",
    "qb/bad-quizzes/01-m/04-order.md:27:6: E419",
    "qb/bad-quizzes/01-m/04-order.md:28:6: E419",
    "qb/bad-quizzes/01-m/04-order.md:30:16: W402",
    "qb/bad-quizzes/01-m/04-order.md:31:1: E411",
    "qb/bad-quizzes/01-m/05-empty.md:5:12: E108",
    "qb/bad-quizzes/01-m/05-empty.md:6:11: E108",
    "qb/bad-quizzes/01-m/05-empty.md:7:13: E108",
    "qb/bad-quizzes/01-m/05-empty.md:8:20: E108",
    "qb/bad-quizzes/01-m/05-empty.md:9:15: E108",
    "qb/bad-quizzes/01-m/05-empty.md:10:7: E108",
    "qb/bad-quizzes/01-m/05-empty.md:11:11: E108",
    "qb/bad-quizzes/01-m/05-empty.md:12:1: E401",
]


def test_broken_quizzes_report_every_problem_at_its_exact_place() -> None:
    result = load_tree(BROKEN_TREE, display_prefix="qb")
    assert [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in result.problems] == BROKEN_EXPECTED
    assert result.courses == []


def test_broken_quiz_messages_explain_the_fix() -> None:
    messages = {str(p) for p in load_tree(BROKEN_TREE, display_prefix="qb").problems}
    for expected in [
        "qb/bad-quizzes/01-m/01-headings.md:5:7: E420 draw: 9 is more than the 6 questions",
        "qb/bad-quizzes/01-m/01-headings.md:19:8: E403 unknown question type 'singel'"
        " (did you mean 'single'?)",
        "qb/bad-quizzes/01-m/01-headings.md:28:4: E405 duplicate question id 'q3' (first on line 22)",
        "qb/bad-quizzes/01-m/02-choice.md:30:7: E409 duplicate id 'a' (first on line 28)",
        "qb/bad-quizzes/01-m/02-choice.md:32:7: E408 option needs an id and a colon: `- [ ] kassa: text`",
        "qb/bad-quizzes/01-m/03-values.md:48:1: E410 `- [x]`/`- [ ]` options belong to single or multiple"
        " questions, not numeric",
        "qb/bad-quizzes/01-m/03-values.md:43:7: E417 range 44..40 ends below its start",
        "qb/bad-quizzes/01-m/04-order.md:27:6: E419 pair 'a' needs ` => `: `- a: left => right`",
    ]:
        assert expected in messages


def test_unknown_type_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    body = "## q [essay]\nНапишите.\n"
    result = load_tree(quiz_tree(tmp_path, body))
    [problem] = result.problems
    assert problem.message == (
        "unknown question type 'essay'"
        " (known: single, multiple, truefalse, short, numeric, ordering, matching)"
    )


def test_headings_and_answer_lines_inside_code_fences_are_text(tmp_path: Path) -> None:
    body = (
        "Пример формата:\n\n```\n## q [single]\n- [x] a: b\n```\n\n"
        "## q1 [short]\nЧто выведет код?\n\n~~~\n= 1\n- [x] a: b\n~~~\n\n= один\n"
    )
    payload = payload_of(tmp_path, body)
    [question] = payload["questions"]
    assert question["answer"] == {"accepted": ["один"]}
    assert "<code>= 1\n- [x] a: b\n</code>" in question["prompt_html"]


def test_prompt_may_hold_lists_that_are_not_answer_lines(tmp_path: Path) -> None:
    body = "## q [single]\nВыберите:\n\n- пункт\n\n1. шаг\n\n- [x] a: Да\n- [ ] b: Нет\n"
    question = question_of(tmp_path, body)
    assert "<li>пункт</li>" in question["prompt_html"] and "<li>шаг</li>" in question["prompt_html"]
    assert [o["key"] for o in question["options"]] == ["a", "b"]


def test_option_html_loses_only_a_single_wrapping_paragraph(tmp_path: Path) -> None:
    body = (
        "## q [single]\nВопрос\n\n- [x] a: **Да** <script>x</script>\n"
        "  > Отзыв\n  >\n  > второй абзац\n- [ ] b: # Нет\n"
    )
    a, b = question_of(tmp_path, body)["options"]
    assert a["html"] == "<strong>Да</strong>"
    assert a["feedback_html"] == "<p>Отзыв</p>\n<p>второй абзац</p>"
    assert b["html"] == '<h1 id="content-q-b-html-нет">Нет</h1>'  # the piece's own ids


def test_each_question_s_pieces_have_ids_of_their_own(tmp_path: Path) -> None:
    """The take page shows every question: two footnotes 1 must stay two ids, each link to its own."""
    body = (
        "## q1 [single]\nПо закону[^1]?\n\n[^1]: Ст. 56.\n\n- [x] a: Да\n- [ ] b: Нет\n\n"
        "## q2 [single]\nА здесь[^1]?\n\n[^1]: Ст. 48.\n\n- [x] a: Да\n- [ ] b: Нет\n"
    )
    first, second = payload_of(tmp_path, body)["questions"]
    assert 'id="content-q1-prompt-fn:1"' in first["prompt_html"]
    assert 'href="#content-q1-prompt-fn:1"' in first["prompt_html"]
    assert 'id="content-q2-prompt-fn:1"' in second["prompt_html"]
    assert 'href="#content-q2-prompt-fn:1"' in second["prompt_html"]


def test_quiz_links_are_checked_at_their_exact_place(tmp_path: Path) -> None:
    body = (
        "## q [matching]\nСм. [тут](a.md).\n\n"
        "- a: ![x](b.png) => [c](c.md)\n- b: 1 => 2\n\n### Пояснение\n[d](d.md)\n"
    )
    assert problems_of(tmp_path, body) == [
        f"{QUIZ_PATH}:7:11: E301",
        f"{QUIZ_PATH}:9:11: E304",
        f"{QUIZ_PATH}:9:25: E301",
        f"{QUIZ_PATH}:13:5: E301",
    ]


def test_an_empty_quiz_is_an_error_not_an_empty_lesson(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "") == ["c/m/quiz.md:5:1: E401"]
    assert problems_of(tmp_path, "Только введение.\n") == ["c/m/quiz.md:5:1: E401"]


def test_attempts_and_time_limit_fit_a_database_integer(tmp_path: Path) -> None:
    # Past it, PostgreSQL refused the quiz's page (attempts are read as an integer) and a start
    # failed on a deadline after year 9999.
    body = "## q [truefalse]\nВерно?\n\n= да\n"
    front = "attempts: 2147483648\ntime_limit: 99999999999\n"
    result = load_tree(quiz_tree(tmp_path, body, front), display_prefix="")
    assert [str(p) for p in result.problems] == [
        "c/m/quiz.md:5:11: E108 'attempts' is too large: at most 2147483647",
        "c/m/quiz.md:6:13: E108 'time_limit' is too large: at most 2147483647",
    ]
    front = "attempts: 2147483647\ntime_limit: 2147483647\n"
    assert payload_of(tmp_path, body, front)["policy"]["time_limit"] == 2147483647


def test_feedback_required_is_met_by_feedback_and_explanations(tmp_path: Path) -> None:
    body = (
        "## q [single]\nВопрос\n\n- [x] a: Да\n  > Верно.\n- [ ] b: Нет\n  > Неверно.\n\n"
        "### Пояснение\nПотому что.\n"
        "## n [numeric]\nСколько?\n\n= 2\n\n### Explanation\nДва.\n"
    )
    assert payload_of(tmp_path, body, "feedback: required\n")["policy"]["feedback"] == "required"


def test_question_hash_follows_the_content_not_the_position(tmp_path: Path) -> None:
    one = "## q [single]\nВопрос\n\n- [x] a: Да\n- [ ] b: Нет\n"
    two = "## z [short]\nЕщё\n\n= x\n"
    first = {q["key"]: q["hash"] for q in payload_of(tmp_path / "1", one + two)["questions"]}
    moved_body = "Введение.\n\n" + two + "\n\n" + one
    moved = {q["key"]: q["hash"] for q in payload_of(tmp_path / "2", moved_body)["questions"]}
    assert first == moved
    for variant in (
        one.replace("[x] a", "[ ] a").replace("[ ] b", "[x] b"),
        one.replace("Нет", "Нет!"),
        one.replace("Вопрос", "Вопрос?"),
        one.replace("[single]", "[single, 2]"),
        one + "\n### Пояснение\nТак.\n",
        one.replace("- [ ] b: Нет", "- [ ] b: Нет\n  > Отзыв"),
    ):
        [changed] = payload_of(tmp_path / str(len(variant)), variant)["questions"]
        assert changed["hash"] != first["q"], variant


def test_cache_hit_parses_and_renders_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = Path(shutil.copytree(QUIZ_TREE, tmp_path / "courses"))
    first = load_tree(tree)
    # The cache as the sync stores it: through JSON.
    stored = {key: json.loads(json.dumps(rendered.to_dict())) for key, rendered in first.rendered.items()}
    cache = {key: Rendered.from_dict(data) for key, data in stored.items()}
    assert cache == first.rendered

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed or rendered although cached")

    monkeypatch.setattr(markdown, "Markdown", boom)
    monkeypatch.setattr(render_module, "_clean", boom)
    monkeypatch.setattr("lms.quizzes.format.parse_quiz", boom)
    second = load_tree(tree, cache=cache)
    assert second.problems == []
    assert second.courses == first.courses


def test_a_broken_quiz_is_not_cached_so_its_errors_stay(tmp_path: Path) -> None:
    root = tmp_path / "courses"
    problems_of(root, "## q [single]\nВопрос\n\n- [x] a: Да\n")
    first = load_tree(root, display_prefix="")
    assert [p.code for p in first.problems] == ["E414"]
    quiz_keys = [key for key, rendered in first.rendered.items() if rendered.payload]
    assert quiz_keys == []
    again = load_tree(root, display_prefix="", cache=first.rendered)
    assert [p.code for p in again.problems] == ["E414"]


def test_quiz_positions_survive_bom_and_crlf(tmp_path: Path) -> None:
    root = tmp_path / "courses"
    body = "## q [numeric]\nСколько?\n\n= сорок\n"
    assert problems_of(root, body) == [f"{QUIZ_PATH}:9:3: E417"]
    path = root / QUIZ_PATH
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert [f"{p.line}:{p.col}: {p.code}" for p in load_tree(root).problems] == ["9:3: E417"]

"""Pure grading: text and number reading, served layouts, what a candidate sees, attempt scores."""

from __future__ import annotations

import random
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.content.loader import load_tree
from lms.quizzes.grading import layout, normalise_text, parse_number, public_question, score_attempt
from lms.quizzes.question_type import option_keys
from lms.quizzes.types import QUESTION_TYPES
from tests.quizzes.quizfiles import QUIZ_TREE

LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯabcxyzABCXYZ0123456789"
PUNCTUATION = "«»—–…“”„.,!?;:-()\"'"
WHITESPACE = " \t\n\u00a0"
FORBIDDEN = ("correct", "feedback", "answer", "explanation")


@cache
def fixture_questions() -> tuple[dict, ...]:
    [course] = load_tree(QUIZ_TREE).courses
    return tuple(course.modules[0].lessons[1].payload["questions"])


# --- normalise_text and parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Привет,   МИР! ", "привет мир"),
        ("«Ёлка» — это…", "елка это"),
        ("Санкт-Петербург", "санкт петербург"),
        ("ст.56", "ст 56"),
        ('„Кавычки“ и "кавычки"', "кавычки и кавычки"),
        ("ﬁ ＡＢＣ", "fi abc"),  # NFKC: ligature and full-width letters
        ("Е\u0308ж", "еж"),  # a decomposed ё is still е
        ("...", ""),
        ("Straße", "strasse"),
    ],
)
def test_normalise_text_examples(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    assert normalise_text(normalise_text(text)) == normalise_text(text)


@given(st.text(alphabet=LETTERS + PUNCTUATION + WHITESPACE))
def test_normalise_text_ignores_case_and_yo(text: str) -> None:
    expected = normalise_text(text)
    assert normalise_text(text.upper()) == expected
    assert normalise_text(text.lower()) == expected
    assert normalise_text(text.replace("е", "ё").replace("Е", "Ё")) == expected
    assert normalise_text(text.replace("ё", "е").replace("Ё", "Е")) == expected


words = st.lists(st.text(alphabet=LETTERS, min_size=1, max_size=8), min_size=1, max_size=6)
separators = st.text(alphabet=PUNCTUATION + WHITESPACE, min_size=1, max_size=4)
edges = st.text(alphabet=PUNCTUATION + WHITESPACE, max_size=4)


@given(words, st.data())
def test_normalise_text_ignores_punctuation_and_spacing_between_words(words: list[str], data) -> None:
    plain = normalise_text(" ".join(words))
    noisy = data.draw(edges)
    for word in words:
        noisy += word + data.draw(separators)
    assert normalise_text(noisy + data.draw(edges)) == plain


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42.0),
        (" -3,5 ", -3.5),
        ("+1.25", 1.25),
        ("3 000", 3000.0),
        ("3\u00a0000,5", 3000.5),
        ("\u22122", -2.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("", None),
        ("abc", None),
        ("1,2,3", None),
        ("1,234.5", None),
        ("nan", None),
        ("inf", None),
        ("1e5", None),
        ("1e400", None),
        ("--1", None),
        ("١٢", 12.0),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


# --- layout


def test_layout_without_shuffling_keeps_the_written_order() -> None:
    questions = list(fixture_questions())
    served = layout(questions, {}, seed=1)
    assert [item["key"] for item in served] == [q["key"] for q in questions]
    by_key = {q["key"]: q for q in questions}
    for item in served:
        written = [o["key"] for o in by_key[item["key"]]["options"]]
        if by_key[item["key"]]["type"] in ("ordering", "matching"):
            assert sorted(item["options"]) == sorted(written) and item["options"] != written
        else:
            assert item["options"] == written


def test_layout_is_deterministic_for_a_seed() -> None:
    policy = {"shuffle_questions": True, "shuffle_options": True, "draw": 5}
    questions = list(fixture_questions())
    assert layout(questions, policy, 7) == layout(questions, policy, 7)
    assert len({str(layout(questions, policy, seed)) for seed in range(20)}) > 1


def test_two_item_ordering_is_always_served_swapped() -> None:
    question = {"key": "o", "type": "ordering", "options": [{"key": "a"}, {"key": "b"}], "answer": {}}
    assert {tuple(layout([question], {}, seed)[0]["options"]) for seed in range(30)} == {("b", "a")}


policies = st.fixed_dictionaries(
    {
        "shuffle_questions": st.booleans(),
        "shuffle_options": st.booleans(),
        "draw": st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
    }
)


@given(policies, st.integers())
def test_layout_serves_a_permutation_or_a_draw(policy: dict, seed: int) -> None:
    questions = list(fixture_questions())
    served = layout(questions, policy, seed)
    keys = [item["key"] for item in served]
    written = [q["key"] for q in questions]
    draw = policy["draw"]
    assert len(keys) == (min(draw, len(questions)) if draw else len(questions))
    assert len(set(keys)) == len(keys) and set(keys) <= set(written)
    if not policy["shuffle_questions"]:
        assert keys == [key for key in written if key in keys]
    by_key = {q["key"]: q for q in questions}
    for item in served:
        question = by_key[item["key"]]
        options = [o["key"] for o in question["options"]]
        assert sorted(item["options"]) == sorted(options)
        if question["type"] == "ordering":
            assert item["options"] != question["answer"]["order"]
        if question["type"] == "matching":
            assert item["options"] != options


def form_for(question: dict, shown: list[str], intent: object) -> dict[str, list[str]]:
    """What a browser sends when a candidate picks `intent` on the question as shown."""
    name = f"q-{question['key']}"
    kind = question["type"]
    if kind == "single":
        return {name: [intent]}
    if kind == "multiple":
        return {name: [key for key in shown if key in intent]}
    if kind == "truefalse":
        return {name: ["true" if intent else "false"]}
    if kind in ("short", "numeric"):
        return {name: [str(intent).replace(".", ",")]}
    if kind == "ordering":
        return {f"{name}-{key}": [str(intent.index(key) + 1)] for key in shown}
    if kind == "matching":
        # The select lists the right sides in the shown order; the candidate picks by text.
        return {f"{name}-{left}": [next(key for key in shown if key == intent[left])] for left in intent}
    raise AssertionError(kind)


def intent_for(question: dict, rng: random.Random, *, right: bool) -> object:
    """A candidate's choice on a question, by content: right, or drawn at random."""
    kind = question["type"]
    keys = [o["key"] for o in question["options"]]
    if right:
        return QUESTION_TYPES[kind].correct_response(question)
    if kind == "single":
        return rng.choice(keys)
    if kind == "multiple":
        return rng.sample(keys, rng.randint(0, len(keys)))
    if kind == "truefalse":
        return rng.choice([True, False])
    if kind == "short":
        return rng.choice(["ТИК", "нет", "т и к"])
    if kind == "numeric":
        return rng.choice([27, 26.5, 5, 4, 3.9, 100])
    if kind == "ordering":
        return rng.sample(keys, len(keys))
    return {left: rng.choice(keys) for left in keys}


def responses_for(questions: list[dict], served: list[dict], intents: dict[str, object]) -> dict[str, object]:
    form: dict[str, list[str]] = {}
    by_key = {q["key"]: q for q in questions}
    for item in served:
        question = by_key[item["key"]]
        form.update(form_for(question, item["options"], intents[item["key"]]))
    served_questions = [by_key[item["key"]] for item in served]
    return {q["key"]: QUESTION_TYPES[q["type"]].coerce(q, form) for q in served_questions}


@given(policies, st.integers(), st.booleans(), st.integers())
def test_a_shuffled_quiz_grades_like_an_unshuffled_one(
    policy: dict, seed: int, right: bool, choices: int
) -> None:
    questions = list(fixture_questions())
    rng = random.Random(choices)
    intents = {q["key"]: intent_for(q, rng, right=right) for q in questions}
    served = layout(questions, policy, seed)
    by_key = {q["key"]: q for q in questions}
    served_questions = {item["key"]: by_key[item["key"]] for item in served}
    plain = [{"key": key, "options": option_keys(question)} for key, question in served_questions.items()]
    shuffled_score = score_attempt(served_questions, responses_for(questions, served, intents))
    plain_score = score_attempt(served_questions, responses_for(questions, plain, intents))
    assert shuffled_score == plain_score
    if right:
        assert shuffled_score[0] == pytest.approx(shuffled_score[1])


# --- public_question


def keys_of(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_of(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_of(item)}
    return set()


def test_public_fixture_questions_hide_the_answers() -> None:
    for question in fixture_questions():
        public = public_question(question)
        assert not any(word in key for key in keys_of(public) for word in FORBIDDEN), public
        assert public["prompt_html"] == question["prompt_html"]
        assert "hash" not in public and "line" not in public
    matching = public_question(next(q for q in fixture_questions() if q["type"] == "matching"))
    assert [o["key"] for o in matching["options"]] == ["uved", "schet", "otchet"]
    assert [r["key"] for r in matching["rights"]] == ["otchet", "schet", "uved"]
    assert matching["rights"][1] == {"key": "schet", "html": "Банк"}
    ordering = public_question(next(q for q in fixture_questions() if q["type"] == "ordering"))
    assert [o["key"] for o in ordering["options"]] == ["agitaciya", "podpisi", "registraciya", "vydvizhenie"]
    single = public_question(fixture_questions()[0])
    assert single["options"][0] == {"key": "kassa", "html": "В кассе штаба наличными"}
    assert public_question(fixture_questions()[2])["options"] == []


ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,6}", fullmatch=True)


@given(st.lists(ids, min_size=2, max_size=8, unique=True), st.sampled_from(["ordering", "matching"]))
def test_public_ordering_and_matching_never_show_the_right_order(keys: list[str], kind: str) -> None:
    parts = {"ordering": ("html",), "matching": ("left_html", "right_html")}[kind]
    question = {
        "key": "o",
        "type": kind,
        "points": 1.0,
        "prompt_html": "",
        "explanation_html": "x",
        "options": [{"key": key, **{part: f"{part}:{key}" for part in parts}} for key in keys],
        "answer": {"order": keys} if kind == "ordering" else {},
    }
    public = public_question(question)
    listed = public["rights" if kind == "matching" else "options"]
    shown = [o["key"] for o in listed]
    assert sorted(shown) == sorted(keys) and shown != keys
    assert all(o["html"] == f"{parts[-1]}:{o['key']}" for o in listed)
    if kind == "matching":
        assert [o["key"] for o in public["options"]] == keys
        assert all(o["html"] == f"left_html:{o['key']}" for o in public["options"])
    assert not any(word in key for key in keys_of(public) for word in FORBIDDEN)


def test_score_attempt() -> None:
    questions = {q["key"]: q for q in fixture_questions()}
    assert score_attempt(questions, {}) == (0.0, 8.5)
    responses = {
        "fond-schet": "schet",
        "dokumenty": ["itog"],
        "dolya": 5.0,
        "etapy": ["podpisi"],
        "unknown": 1,
    }
    assert score_attempt(questions, responses) == (1.0 + 2.0 * 0.5 + 0.5, 8.5)
    assert score_attempt({}, responses) == (0.0, 0.0)

"""Word counts of candidates' answers, as a person would count them, and the limits a task sets."""

from __future__ import annotations

import pytest

from lms.exercises.words import count_words, outside_limits

# (text, words). tests/browser/test_exercises.py types some of these into the page's live count,
# which must agree with the server.
EXAMPLES = [
    ("", 0),
    ("   \n\n", 0),
    ("План встречи", 2),
    ("## План\n\n1. Согласовать **место**\n2. Напечатать _листовки_", 5),
    ("- [ ] пункт\n- [x] пункт", 2),
    ("Северо-запад, д'Артаньян и Жан-Поль", 4),
    ("Д–7: встреча — в 18:00", 5),
    ("[ссылка на урок](../02-vstrechi.md#сроки) и https://example.org/a/b?c=d", 5),
    ("<https://example.org/path> — адрес", 2),
    ("snake_case и `код`", 4),
    ("700–1500 слов", 3),
    ("> цитата\n\n---\n\n***", 1),
    ("> 1. в цитате\n   2) второй\n* третий", 4),
    ("Бюджет 3,5 млн, срок 1.5 месяца", 6),
    ("<b>жирно</b> <https://example.org> <br/>", 2),
    ("Ёлка и е\u0301жик", 3),  # a combining accent does not split a word
]


@pytest.mark.parametrize(("text", "words"), EXAMPLES)
def test_words_are_counted_as_a_reader_would(text: str, words: int) -> None:
    assert count_words(text) == words


@pytest.mark.parametrize(
    ("count", "limits", "problem"),
    [
        (699, {"min": 700, "max": 1500}, "few"),
        (700, {"min": 700, "max": 1500}, None),
        (1500, {"min": 700, "max": 1500}, None),
        (1501, {"min": 700, "max": 1500}, "many"),
        (0, {"min": None, "max": 10}, None),
        (10**6, {"min": 1, "max": None}, None),
        (0, None, None),
    ],
)
def test_limits_are_inclusive(count: int, limits: dict | None, problem: str | None) -> None:
    assert outside_limits(count, limits) == problem

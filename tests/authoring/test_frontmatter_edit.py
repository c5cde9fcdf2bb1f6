"""Line-based front matter edits keep everything but the edited value as the author wrote it."""

from __future__ import annotations

import pytest
import yaml

from lms.authoring.frontmatter_edit import (
    FrontMatterEditError,
    read_list,
    read_value,
    set_list,
    set_scalar,
    yaml_scalar,
)

MODULE = """---
# Модуль первый: не трогать id!
id: analiz   # стабильный
title: "Анализ: прошлые кампании"  # в кавычках из-за двоеточия
summary: >
  Длинное описание
  в две строки.
items:          # по порядку
  - 01-zachem.md   # вводный урок
  # проверка идёт после источников
  - "02-istochniki.md"
  - 03-uroki.md
requires: [{module: vvedenie}]
---
Текст модуля.

---
Черта в теле не front matter.
"""


def body_of(text: str) -> str:
    return text.split("\n---\n", 1)[1]


@pytest.mark.parametrize(
    "value",
    [
        "Простой заголовок",
        "Анализ: прошлые кампании",
        "С # решёткой",
        "- начинается с дефиса",
        "yes",
        "123",
        "null",
        "'кавычки' и \"двойные\"",
        "  пробелы по краям ",
        "[в скобках]",
        "{фигурные}",
        "обратный \\ слеш",
        "%процент",
        "",
        "строка\u2028разделитель",  # YAML reads NEL, LS and PS as line breaks unless escaped
        "абзац\u2029и\x85ещё",
    ],
)
def test_a_scalar_reads_back_as_the_same_text(value):
    assert yaml.safe_load(f"k: {yaml_scalar(value)}\n") == {"k": value}


def test_plain_words_stay_plain():
    assert yaml_scalar("Календарь кампании") == "Календарь кампании"
    assert yaml_scalar("01-zachem.md") == "01-zachem.md"


def test_set_title_replaces_only_the_value_and_keeps_the_comment():
    result = set_scalar(MODULE, "title", "Новое название")
    assert "title: Новое название  # в кавычках из-за двоеточия\n" in result
    assert result.replace("title: Новое название", 'title: "Анализ: прошлые кампании"') == MODULE


def test_set_title_with_a_colon_is_quoted():
    result = set_scalar(MODULE, "title", "Итоги: что дальше")
    assert read_value(result, "title") == "Итоги: что дальше"
    assert 'title: "Итоги: что дальше"  #' in result


def test_set_a_folded_block_scalar_keeps_the_next_key_on_its_line():
    result = set_scalar(MODULE, "summary", "Коротко")
    assert "summary: Коротко\nitems:          # по порядку\n" in result
    assert read_list(result, "items") == ["01-zachem.md", "02-istochniki.md", "03-uroki.md"]


def test_set_a_missing_key_adds_it_at_the_end_of_the_front_matter():
    result = set_scalar(MODULE, "minutes", "10")
    assert 'requires: [{module: vvedenie}]\nminutes: "10"\n---\n' in result
    assert read_value(result, "minutes") == "10"
    assert body_of(result) == body_of(MODULE)


def test_the_body_and_a_dash_line_in_it_are_untouched():
    result = set_list(MODULE, "items", ["03-uroki.md", "01-zachem.md", "02-istochniki.md"])
    assert body_of(result) == body_of(MODULE)
    assert result.startswith("---\n# Модуль первый: не трогать id!\nid: analiz   # стабильный\n")


def test_reorder_a_block_list_moves_each_line_with_its_comments():
    result = set_list(MODULE, "items", ["02-istochniki.md", "03-uroki.md", "01-zachem.md"])
    assert (
        "items:          # по порядку\n"
        "  # проверка идёт после источников\n"
        '  - "02-istochniki.md"\n'
        "  - 03-uroki.md\n"
        "  - 01-zachem.md   # вводный урок\n"
        "requires: [{module: vvedenie}]\n"
    ) in result
    assert read_list(result, "items") == ["02-istochniki.md", "03-uroki.md", "01-zachem.md"]


def test_add_and_remove_entries_of_a_block_list():
    result = set_list(MODULE, "items", ["01-zachem.md", "03-uroki.md", "04-novyy.md"])
    assert "  - 03-uroki.md\n  - 04-novyy.md\nrequires:" in result
    assert "02-istochniki" not in result
    assert read_list(result, "items") == ["01-zachem.md", "03-uroki.md", "04-novyy.md"]


def test_a_block_list_with_dashes_at_the_key_column():
    text = "---\nid: k\nmodules:\n- 01-a\n- 02-b # второй\ntitle: K\n---\n"
    result = set_list(text, "modules", ["02-b", "01-a", "03-c"])
    assert result == "---\nid: k\nmodules:\n- 02-b # второй\n- 01-a\n- 03-c\ntitle: K\n---\n"


def test_a_flow_list_stays_a_flow_list_with_its_comment():
    text = "---\nid: k\nmodules: [01-a, '02-b', \"03-c\"]  # порядок\ntitle: K\n---\nТело\n"
    result = set_list(text, "modules", ["03-c", "01-a", "02-b"])
    assert result == "---\nid: k\nmodules: [03-c, 01-a, 02-b]  # порядок\ntitle: K\n---\nТело\n"


def test_a_flow_list_over_several_lines():
    text = "---\nid: k\nmodules: [\n  01-a,\n  02-b,\n]\ntitle: K\n---\n"
    result = set_list(text, "modules", ["02-b", "01-a"])
    assert result == "---\nid: k\nmodules: [02-b, 01-a]\ntitle: K\n---\n"


def test_names_that_need_quotes_are_quoted():
    text = "---\nid: k\nitems:\n  - 01-a.md\n---\n"
    result = set_list(text, "items", ["01-a.md", "yes", "# odd.md"])
    assert read_list(result, "items") == ["01-a.md", "yes", "# odd.md"]


def test_a_missing_list_is_added_as_a_block():
    text = "---\nid: k\ntitle: K # t\n---\n"
    result = set_list(text, "items", ["01-a.md"])
    assert result == "---\nid: k\ntitle: K # t\nitems:\n  - 01-a.md\n---\n"


def test_an_empty_key_gets_a_list():
    text = "---\nid: k\nitems:\ntitle: K\n---\n"
    result = set_list(text, "items", ["01-a.md", "02-b.md"])
    assert result == "---\nid: k\nitems:\n  - 01-a.md\n  - 02-b.md\ntitle: K\n---\n"


def test_windows_line_endings_and_a_bom_are_kept():
    text = "\ufeff---\r\nid: k\r\ntitle: Старое\r\n---\r\nТело\r\n"
    result = set_scalar(text, "title", "Новое")
    assert result == "\ufeff---\r\nid: k\r\ntitle: Новое\r\n---\r\nТело\r\n"


def test_a_nested_key_of_the_same_name_is_not_touched():
    text = "---\nid: k\npass:\n  title: вложенный\ntitle: верхний\n---\n"
    result = set_scalar(text, "title", "Новый")
    assert "  title: вложенный\ntitle: Новый\n" in result


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Нет front matter\n", "no front matter"),
        ("---\nid: k\nid: j\n---\n", "set twice"),
        ("---\n[1, 2]\n---\n", "not a mapping"),
        ("---\nid: [k\n---\n", "not valid YAML"),
    ],
)
def test_what_cannot_be_edited_safely_is_refused(text, message):
    with pytest.raises(FrontMatterEditError, match=message):
        set_scalar(text, "title", "X")


def test_a_list_of_mappings_is_refused():
    text = "---\nrequires:\n  - module: a\n---\n"
    with pytest.raises(FrontMatterEditError, match="more than plain names"):
        set_list(text, "requires", ["a"])


def test_a_scalar_where_a_list_should_be_is_refused():
    with pytest.raises(FrontMatterEditError, match="not a list"):
        set_list("---\nitems: 01-a.md\n---\n", "items", ["01-a.md"])


def test_a_list_where_a_scalar_should_be_is_refused():
    with pytest.raises(FrontMatterEditError, match="not a single value"):
        set_scalar(MODULE, "items", "x")


def test_an_empty_scalar_gets_its_value_after_the_colon():
    assert set_scalar("---\nid: k\ntitle:\n---\n", "title", "Урок") == "---\nid: k\ntitle: Урок\n---\n"
    assert (
        set_scalar("---\nid: k\ntitle: # потом\n---\n", "title", "Урок")
        == "---\nid: k\ntitle: Урок # потом\n---\n"
    )


def test_an_empty_list_becomes_a_flow_list():
    text = "---\nid: k\nitems: [01-a.md]\n---\n"
    assert set_list(text, "items", []) == "---\nid: k\nitems: []\n---\n"


def test_a_line_separator_in_one_value_does_not_shift_the_edit_of_another():
    # YAML alone counts U+2028 as a new line: the marks of every later key pointed past the text.
    text = MODULE.replace('"Анализ: прошлые кампании"', '"Анализ:\u2028прошлые кампании"')
    result = set_list(text, "items", ["03-uroki.md", "01-zachem.md", "02-istochniki.md"])
    assert read_list(result, "items") == ["03-uroki.md", "01-zachem.md", "02-istochniki.md"]
    assert body_of(result) == body_of(MODULE)
    assert 'title: "Анализ:\u2028прошлые кампании"  #' in result  # kept as the author wrote it
    renamed = set_scalar(result, "summary", "Итоги\u2028года")
    assert read_value(renamed, "summary") == "Итоги\u2028года"
    assert 'summary: "Итоги\\u2028года"\nitems:' in renamed

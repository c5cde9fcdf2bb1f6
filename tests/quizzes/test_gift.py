"""GIFT import: realistic Moodle files, exact Markdown, exact error positions, escaping properties."""

from __future__ import annotations

import importlib.util
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lms.content.render import MARKDOWN_CONFIG as CONFIG
from lms.content.render import MARKDOWN_EXTENSIONS
from lms.quizzes.gift.convert import convert_gift, parse_gift
from lms.quizzes.gift.ids import slugify, unique_id
from lms.quizzes.gift.questions import GiftError, GiftResult, GiftText
from lms.quizzes.gift.source import Span, escape_gift
from lms.quizzes.gift.to_markdown import escape_literal, one_line
from lms.quizzes.text import normalise_text

APP_PARSER = importlib.util.find_spec("lms.quizzes.format") is not None
requires_app_parser = pytest.mark.skipif(
    not APP_PARSER, reason="lms.quizzes.format (the app's quiz parser) is not written yet"
)
GIFT = Path(__file__).resolve().parent.parent / "fixtures" / "gift"
COURSES = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "good"
FIXTURES = sorted(path.name for path in GIFT.glob("*.gift") if path.name != "broken.gift")


def read(name: str) -> str:
    return (GIFT / name).read_bytes().decode("utf-8")


def convert(name: str) -> GiftResult:
    return convert_gift(read(name), quiz_id=Path(name).stem.replace("_", "-"), title="Проверка: финансы")


def quiz_id(name: str) -> str:
    return "gift-" + Path(name).stem.replace("_", "-")


def positions(errors: list[GiftError]) -> list[str]:
    return [f"{error.line}:{error.col}" for error in errors]


FRONT = """---
id: {id}
title: 'Проверка: финансы'
type: quiz
pass_mark: 70
---
"""

FINANSY = (
    FRONT.format(id="finansy")
    + """
## fond [single]
Где должны находиться средства избирательного фонда?

- [ ] a: В кассе штаба наличными
  > Наличные вне специального счёта использовать нельзя.
- [x] b: На специальном избирательном счёте
  > Верно: все поступления и расходы идут через специальный счёт.
- [ ] c: На личной карте кандидата
  > Личные средства и средства фонда смешивать нельзя.

### Пояснение
Все средства фонда проходят через специальный избирательный счёт.

## pozhertvovaniya [multiple]
Кто может делать пожертвования в избирательный фонд?

- [x] a: Граждане России
- [x] b: Российские юридические лица
- [ ] c: Иностранные граждане
  > Запрещено законом.
- [ ] d: Анонимные жертвователи

## otchet [truefalse]
Кандидат обязан сдать итоговый финансовый отчёт.

= true

### Пояснение
Ответ «верно»: Верно.

Ответ «неверно»: Нет, это обязанность: см. ст. 59.

## srok [numeric]
Сколько дней даётся на сдачу итогового отчёта после выборов?

= 30

## limit [numeric]
Предельная сумма пожертвования от гражданина (тыс. руб.)?

= 20

## abbreviatura [short]
Как сокращённо называется избирательная комиссия субъекта РФ?

= ИКС
= ИКС РФ

## dokumenty [matching]
Сопоставьте документ и срок его сдачи.

- a: Первый финансовый отчёт => вместе с документами для регистрации
- b: Итоговый финансовый отчёт => через 30 дней после выборов
- c: Сведения о поступлениях => не реже раза в две недели

## formula [single]
Сколько будет 2 = 2 ~ 2 # 2 {скобки}?

- [x] a: a \\\\ b
  > Обратная косая черта
- [ ] b: c : d
"""
)

HTML = (
    FRONT.format(id="html")
    + """
## html [single]
Что **запрещено** делать с наличными?

Выберите *один* ответ.
Подсказка — ст. 58.

- [x] a: **Вносить** их в кассу штаба
- [ ] b: Хранить на счёте
  > Так и *нужно*.
- [ ] c: Сдавать в банк

### Пояснение
См. [статью 58](https://example.org/58).

## markdown [single]
Что означает **жирный** текст?
\\## Не заголовок
- \\[x] не вариант

- [x] a: Важное =\\> акцент
- [ ] b: Ничего

## plain [single]
Почему 2 \\* 3 = 6, а &lt;b> не тег?

- [x] a: \\[x\\] Потому что
- [ ] b: \\- \\[ \\] Иначе
"""
)

WINDOWS = (
    FRONT.format(id="windows")
    + """
## golosovanie [single]
Голосование на выборах является

- [x] a: тайным
  > Верно: тайна голосования гарантируется.
- [ ] b: открытым

## urna [truefalse]
Переносной ящик используется вне помещения для голосования.

= true

## mnogostrochnyy [single]
Прочитайте выдержку
из закона и ответьте: кто подписывает протокол?

- [x] a: Члены комиссии с правом решающего голоса
- [ ] b: Наблюдатели
"""
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("finansy.gift", FINANSY),
        ("html.gift", HTML),
        ("windows.gift", WINDOWS),
    ],
)
def test_fixture_converts_to_exact_markdown(name: str, expected: str) -> None:
    result = convert(name)
    assert result.errors == []
    assert result.markdown == expected
    assert result.questions == expected.count("\n## ")


def test_notes_say_what_was_ignored_or_moved() -> None:
    assert convert("finansy.gift").notes == [
        "line 4: $CATEGORY: $course$/Финансы/Итоговая ignored",
        "line 21 (otchet): answer feedback moved into the explanation",
    ]
    assert convert("html.gift").notes == ["line 1 (html): HTML <img>, <script> dropped"]
    assert convert("windows.gift").notes == []


def test_windows_file_has_bom_and_crlf_and_keeps_positions() -> None:
    raw = (GIFT / "windows.gift").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    questions, errors = parse_gift(raw.decode("utf-8"))
    assert errors == []
    assert [(q.line, q.col) for q in questions] == [(2, 1), (7, 1), (9, 1)]
    assert (questions[0].answers[0].line, questions[0].answers[0].col) == (3, 1)
    broken = "\ufeff{=да ~нет\r\n\r\nВопрос{=да\r\n~нет}}"
    assert positions(parse_gift(broken)[1]) == ["1:1", "4:6"]


def test_missing_word_questions_get_a_blank_and_keep_only_full_credit_answers() -> None:
    result = convert("missing_word.gift")
    assert result.errors == []
    headings = re.findall(r"^## (\S+) \[(\w+)\]$", result.markdown, flags=re.MULTILINE)
    assert headings == [
        ("q1", "single"),
        ("q2", "short"),
        ("q3", "numeric"),
        ("pogreshnost", "numeric"),
        ("pogreshnost-2", "truefalse"),
        ("q6", "short"),
    ]
    assert "фонд открывается в _____ по выбору кандидата.\n\n- [ ] a: Сбербанке\n" in result.markdown
    assert "в избирательную комиссию _____ установленного срока.\n\n= не позднее\n= до\n" in result.markdown
    assert "не ранее чем за _____ дней до дня голосования.\n\n= 100..110\n" in result.markdown
    assert (
        "Явка составила _____ процента.\n\n= 42\n\n### Пояснение\nОтвет «42»: Точно!\n\n"
        "Другие ответы: Посмотрите протокол.\n" in result.markdown
    )
    assert "Кандидат _____ может отозвать своё заявление.\n\n= true\n" in result.markdown
    assert "Столица России?\n\n= Москва\n\n### Пояснение\nОтвет «Москва»: Верно\n" in result.markdown
    assert result.notes == [
        "line 8 (pogreshnost): only the first full-credit number kept, other answers dropped",
        "line 8 (pogreshnost): answer feedback moved into the explanation",
        "line 16: a description without an answer block skipped",
        "line 18 (q6): answers with partial credit dropped; only full-credit ones kept",
        "line 18 (q6): answer feedback moved into the explanation",
    ]


def test_missing_word_intermediate_form() -> None:
    questions, errors = parse_gift(read("missing_word.gift"))
    assert errors == []
    first = questions[0]
    assert first.prompt == GiftText("Избирательный фонд открывается в _____ по выбору кандидата.", "moodle")
    assert first.prompt.value[first.blank_at or 0 :].startswith("_____")
    numeric = questions[3]
    assert [(n.value, n.tolerance, n.upper, n.weight) for n in numeric.numbers] == [
        ("42", "0", None, 100.0),
        ("42", "2", None, 50.0),
    ]
    assert numeric.wrong_feedback == GiftText("Посмотрите протокол.")
    assert [(n.value, n.upper) for n in questions[2].numbers] == [("100", "110")]
    short = questions[5]
    assert [(a.text.value, a.weight, a.correct) for a in short.answers] == [
        ("Москва", 100.0, True),
        ("Моск", 50.0, False),
        ("Питер", 0.0, False),
    ]
    assert questions[5].blank_at is None


def test_moodle_export_with_html_weights_and_escapes() -> None:
    result = convert("moodle_export.gift")
    assert result.errors == []
    questions, _ = parse_gift(read("moodle_export.gift"))
    assert [(q.title, q.kind) for q in questions] == [
        ("Срок полномочий", "single"),
        ("Принципы", "multiple"),
        ("Время закрытия", "short"),
        ("Возраст", "numeric"),
        ("Наблюдатели", "truefalse"),
        ("Веса", "multiple"),
    ]
    assert [a.correct for a in questions[1].answers] == [True, True, True, False]
    assert questions[2].answers[0].text == GiftText("20:00", "plain")
    assert questions[4].truth is False
    assert (
        "## printsipy [multiple]\nВыберите все принципы избирательного права.\n\n- [x] a: Всеобщее\n"
        in result.markdown
    )
    assert (
        "## vremya-zakrytiya [short]\nВо сколько закрываются участки? (ч:мм)\n\n= 20:00\n" in result.markdown
    )
    assert "## vozrast [numeric]\nС какого возраста можно голосовать?\n\n= 18\n" in result.markdown
    assert (
        "= false\n\n### Пояснение\nОтвет «неверно»: Верно, не вправе.\n\n"
        "Ответ «верно»: Наблюдатель не голосует за других.\n" in result.markdown
    )
    # 33.33333% each is Moodle's 1/3: the LMS rule gives the same credit, so no note for it.
    assert result.notes == [
        "line 2: $CATEGORY: $course$/top/По умолчанию для Выборы ignored",
        "line 36 (nablyudateli): answer feedback moved into the explanation",
        "line 40 (vesa): weights 70%, 30%: this LMS's partial-credit rule applies instead",
    ]


def test_broken_file_reports_every_error_at_its_line_and_column() -> None:
    result = convert("broken.gift")
    assert [(f"{e.line}:{e.col}", e.message.split(":")[0]) for e in result.errors] == [
        ("2:1", "the question title is not closed"),
        ("4:19", "unclosed `{`"),
        ("6:15", "unmatched `}`"),
        ("8:19", "no correct answer"),
        ("10:8", "not a number"),
        ("12:14", "a matching question needs at least two pairs"),
        ("14:36", "a matching pair needs `->` between its two sides"),
        ("16:18", "empty answer"),
        ("18:13", "bad weight"),
        ("20:1", "essay questions are not supported"),
        ("22:15", "several answers marked `=`"),
        ("24:8", "unclosed `{`"),
        ("28:1", "unmatched `}`"),
        ("30:11", "not a number"),
    ]
    assert result.errors[9].message == "essay questions are not supported: use a field assignment"
    assert "(write the decimal mark as a dot)" in result.errors[-1].message
    assert "(a blank line ends a question)" in result.errors[1].message
    assert result.questions == 1  # the good question is still parsed; callers must not write anything


@pytest.mark.parametrize(
    ("gift", "where", "message"),
    [
        ("Вопрос{#5..1}", "1:9", "the range 5..1 is empty"),
        ("Вопрос{#5:-1}", "1:9", "the tolerance must not be negative"),
        ("Вопрос{#}", "1:7", "a numeric question needs a number"),
        ("Вопрос{#=5 =%50}", "1:13", "bad weight"),
        ("Вопрос{=a ~%abc%b}", "1:12", "bad weight"),
        ("Вопрос{~a}", "1:7", "a choice question needs at least two answers"),
        ("Вопрос{Париж =Москва}", "1:8", "an answer must start with `=`"),
        ("Вопрос{=%50%Москва}", "1:7", "no answer gets full credit"),
        ("Вопрос{#%50%5}", "1:7", "no answer gets full credit"),
        ("Вопрос{=a -> b =c ->}", "1:16", "empty answer"),
        ("{=a ~b}", "1:1", "the question has no text"),
        ("Вопрос{=a ~b} и {=c ~d}", "1:17", "a second answer block"),
        ("Вопрос{=a {~b}", "1:11", "`{` inside the answer block"),
        ("Вопрос{=a ~b}}", "1:14", "unmatched `}`"),
        ("Вопрос{=?! =да}", "1:8", "an accepted answer needs letters or digits"),
        ("Вопрос{ ~#fb ~b}", "1:9", "empty answer"),
    ],
)
def test_malformed_question(gift: str, where: str, message: str) -> None:
    questions, errors = parse_gift(gift)
    assert questions == []
    assert [(f"{e.line}:{e.col}", e.message[: len(message)]) for e in errors] == [(where, message)]


@pytest.mark.parametrize(
    ("gift", "where", "message"),
    [
        ("Вопрос{=[html]<img src\\=x> ~b}", "1:8", "the answer has no text left once its HTML is converted"),
        ("[html]<img src\\=x>{=a ~b}", "1:1", "the question has no text left once its HTML is converted"),
        ("Сопоставьте{=<script>x</script> -> a =b -> c}", "1:13", "the answer has no text left"),
    ],
)
def test_texts_left_empty_by_html_conversion_are_errors(gift: str, where: str, message: str) -> None:
    result = convert_gift(gift, quiz_id="x", title="X")
    assert [(f"{e.line}:{e.col}", e.message[: len(message)]) for e in result.errors] == [(where, message)]


def test_numbers_are_written_as_the_lms_reads_them() -> None:
    gift = "Тысяча?{#1e3:+0.5}\n\nДиапазон?{#-5..-1}\n\nДробь?{#.5}"
    assert re.findall(r"^= .*$", convert_gift(gift, quiz_id="x", title="X").markdown, flags=re.MULTILINE) == [
        "= 1000 ± 0.5",
        "= -5..-1",
        "= 0.5",
    ]


def test_markdown_fences_cannot_swallow_the_rest_of_the_file() -> None:
    gift = "[markdown]Код:\n```\n## q9 [single]\n{=a ~b}\n\nВторой?{T}"
    result = convert_gift(gift, quiz_id="x", title="X")
    assert "Код:\n```\n## q9 [single]\n```\n\n- [x] a: a\n" in result.markdown
    assert result.markdown.endswith("## q2 [truefalse]\nВторой?\n\n= true\n")
    if APP_PARSER:  # the heading inside the fence is code, not a question
        payload, errors = app_payload(result.markdown)
        assert errors == [] and [q["key"] for q in payload["questions"]] == ["q1", "q2"]


def test_a_bad_quiz_id_is_a_caller_mistake() -> None:
    with pytest.raises(ValueError, match="invalid quiz id"):
        convert_gift("Вопрос{T}", quiz_id="Плохой id", title="X")


def test_an_empty_file_is_an_error_not_an_empty_quiz() -> None:
    result = convert_gift("// только комментарий\n\nОписание без ответов.\n", quiz_id="x", title="X")
    assert positions(result.errors) == ["1:1"]
    assert result.errors[0].message == "no questions found"


def test_choice_kinds_follow_moodle() -> None:
    questions, errors = parse_gift(
        "Один{~%100%a ~b}\n\nПоловина{~%50%a ~b}\n\nЧастичный{=a ~%50%b ~c}\n\n"
        "Все{~%25%a ~%75%b ~c}\n\nTF{true}"
    )
    assert errors == []
    assert [(q.kind, [a.correct for a in q.answers]) for q in questions[:4]] == [
        ("single", [True, False]),
        ("single", [True, False]),
        ("single", [True, False, False]),
        ("multiple", [True, True, False]),
    ]
    assert questions[4].kind == "truefalse" and questions[4].truth is True
    notes = convert_gift("Половина{~%50%a ~b}\n\nЧастичный{=a ~%50%b ~c}", quiz_id="x", title="X").notes
    assert notes == [
        "line 1 (q1): the only weighted answer (50%) counts as fully right",
        "line 3 (q2): partial credit of weighted wrong answers dropped",
    ]


def test_format_prefixes_apply_to_every_text_of_the_question() -> None:
    gift = "[html]<p>Вопрос</p>{=<b>да</b>#<i>верно</i> ~[plain]<b>нет</b>####[markdown]**см.**}"
    [question], errors = parse_gift(gift)
    assert errors == []
    assert question.prompt == GiftText("<p>Вопрос</p>", "html")
    assert [(a.text, a.feedback) for a in question.answers] == [
        (GiftText("<b>да</b>", "html"), GiftText("<i>верно</i>", "html")),
        (GiftText("<b>нет</b>", "plain"), None),
    ]
    assert question.general_feedback == GiftText("**см.**", "markdown")
    markdown_text = convert_gift(gift, quiz_id="x", title="X").markdown
    assert markdown_text.endswith(
        "## q1 [single]\nВопрос\n\n- [x] a: **да**\n  > *верно*\n- [ ] b: &lt;b>нет&lt;/b>\n\n"
        "### Пояснение\n**см.**\n"
    )


def test_html_never_passes_through_raw() -> None:
    gift = (
        '[html]<p onclick\\="x()">Текст<iframe src\\="https\\://evil"></iframe>'
        '<a href\\="javascript\\:alert(1)">ссылка</a></p>{=<img src\\=x onerror\\=alert(1)>да ~нет}'
    )
    result = convert_gift(gift, quiz_id="x", title="X")
    body = result.markdown.split("---\n", 2)[2]
    assert "<" not in body.replace("&lt;", "")
    assert "Текстссылка" in body
    assert result.notes == ["line 1 (q1): HTML <iframe>, <img> dropped"]


def test_text_that_looks_like_quiz_structure_stays_text() -> None:
    gift = (
        "Вопрос\n## q9 [single]\n- [x] z: взлом\n= true\n### Пояснение\n{\n"
        "=[x] верный \\=> левый\n~- [ ] ложный\n~> цитата\n####\\=\\= ответ\n```\n}"
    )
    markdown_text = convert_gift(gift, quiz_id="x", title="X").markdown
    headings = re.findall(r"^##+ .*$", markdown_text, flags=re.MULTILINE)
    assert headings == ["## q1 [single]", "### Пояснение"]
    assert re.findall(r"^- \[[x ]\] .*$", markdown_text, flags=re.MULTILINE) == [
        "- [x] a: \\[x\\] верный =\\> левый",
        "- [ ] b: \\- \\[ \\] ложный",
        "- [ ] c: \\> цитата",
    ]
    assert re.findall(r"^= .*$", markdown_text, flags=re.MULTILINE) == []


def test_question_ids_are_slugs_made_unique() -> None:
    gift = "\n\n".join(
        [
            "::Щука и ёж::Вопрос{T}",
            "::Щука и ёж::Вопрос{T}",
            "Вопрос{T}",
            "::!!!::Вопрос{T}",
            "::" + "Очень длинное название вопроса о выборах в Думу" + "::Вопрос{T}",
            "::" + "Очень длинное название вопроса о выборах в Думу" + "::Вопрос{T}",
        ]
    )
    ids = re.findall(r"^## (\S+)", convert_gift(gift, quiz_id="x", title="X").markdown, flags=re.MULTILINE)
    assert ids == [
        "shchuka-i-ezh",
        "shchuka-i-ezh-2",
        "q3",
        "q4",
        "ochen-dlinnoe-nazvanie-voprosa-o-vyborak",
        "ochen-dlinnoe-nazvanie-voprosa-o-vybor-2",
    ]
    assert all(len(qid) <= 40 for qid in ids)


def test_slugify_transliterates_the_whole_alphabet() -> None:
    assert slugify("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ", 100) == "abvgdeezhziyklmnoprstufkhtschshshchyeyuya"
    long_title = "Очень длинное название вопроса о выборах в Думу"
    assert slugify(long_title) == "ochen-dlinnoe-nazvanie-voprosa-o-vyborak"
    assert slugify("Café — №1") == "cafe-no1"
    assert unique_id("a", ["a", "a-2"]) == "a-3"


def test_front_matter_is_valid_yaml_with_quoted_titles() -> None:
    title = "Проверка: «кавычки» и # знак"
    text = convert_gift("Вопрос{T}", quiz_id="gift-test", title=title).markdown
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {"id": "gift-test", "title": title, "type": "quiz", "pass_mark": 70}


def test_span_keeps_escapes_and_positions() -> None:
    span = Span.from_lines([(3, 5, r"a\=b\\=c\n\q")])
    assert span.text == "a=b\\=c\n\\q"
    assert span.find("=") == 4 and span.find("=", 5) == -1
    assert [span.pos(i) for i in (0, 1, 2, 3, 4)] == [(3, 5), (3, 6), (3, 8), (3, 9), (3, 11)]
    assert span.pos(99) == (3, 5 + len(r"a\=b\\=c\n\q"))
    assert escape_gift("a=b\\~{}#:\nc") == "a\\=b\\\\\\~\\{\\}\\#\\:\\nc"


def test_comment_lines_do_not_split_a_question() -> None:
    [question], errors = parse_gift("Вопрос{\n// пояснение для автора\n=да\n   // ещё\n~нет}")
    assert errors == []
    assert [a.text.value for a in question.answers] == ["да", "нет"]


def test_category_directly_before_a_question() -> None:
    result = convert_gift("$CATEGORY: тест\n::Т::Вопрос{T}", quiz_id="x", title="X")
    assert result.errors == [] and result.questions == 1
    assert result.notes == ["line 1: $CATEGORY: тест ignored"]


# --- properties -------------------------------------------------------------------------------

_SPECIAL = [
    *"=~#{}:\\[]*_`<>&|-+!.%/ \n",
    "=>",
    "->",
    "####",
    "//",
    "- [x] ",
    "## ",
    "&amp;",
    "&#",
    "&#61;",
    "```",
]
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_SPECIAL),
        st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")),
    ),
    min_size=1,
    max_size=20,
).map("".join)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown(markdown_text: str) -> str:
    """The text a reader sees once the Markdown is rendered, whitespace collapsed."""
    parser = _Text()
    parser.feed(markdown.markdown(markdown_text, extensions=MARKDOWN_EXTENSIONS, extension_configs=CONFIG))
    parser.close()
    return " ".join("".join(parser.parts).split())


def usable(text: str) -> bool:
    # GIFT has no escape for a leading `%` (a weight) or a leading `[html]`-like format name.
    stripped = text.strip()
    return (
        bool(stripped)
        and not stripped.startswith("%")
        and not re.match(r"\[(html|plain|markdown|moodle)\]", stripped, flags=re.IGNORECASE)
    )


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(_TEXT, min_size=2, max_size=5),
    feedback=_TEXT,
    fmt=st.sampled_from(["[plain]", ""]),
)
def test_option_texts_survive_gift_escaping_and_markdown(texts: list[str], feedback: str, fmt: str) -> None:
    assume(all(usable(text) for text in texts) and usable(feedback))
    if not fmt:  # Moodle's default format is HTML: `<` and `&` mean markup there
        assume(not any(char in text for text in [*texts, feedback] for char in "<&"))
    options = [f"~{escape_gift(text)}" for text in texts]
    options[0] = f"={escape_gift(texts[0])}#{escape_gift(feedback)}"
    result = convert_gift(f"{fmt}Вопрос?{{\n" + "\n".join(options) + "\n}", quiz_id="x", title="X")
    assert result.errors == []
    lines = re.findall(r"^- \[([x ])\] ([a-z]+): (.*)$", result.markdown, flags=re.MULTILINE)
    assert [(mark, key) for mark, key, _ in lines] == [
        ("x" if index == 0 else " ", "abcde"[index]) for index in range(len(texts))
    ]
    assert [shown(text) for _, _, text in lines] == [" ".join(text.split()) for text in texts]
    quoted = re.findall(r"^  > (.*)$", result.markdown, flags=re.MULTILINE)
    assert shown("\n".join(quoted)) == " ".join(feedback.split())


@settings(max_examples=200, deadline=None)
@given(answers=st.lists(_TEXT, min_size=1, max_size=4))
def test_short_answers_survive_gift_escaping(answers: list[str]) -> None:
    # `->` cannot be escaped: with `=` answers it makes a matching question, in Moodle too.
    assume(all(usable(text) and "->" not in text and normalise_text(text) for text in answers))
    gift = "Вопрос?{" + " ".join(f"={escape_gift(text)}" for text in answers) + "}"
    result = convert_gift(gift, quiz_id="x", title="X")
    assert result.errors == []
    accepted = re.findall(r"^= (.*)$", result.markdown, flags=re.MULTILINE)
    unique = {normalise_text(text): " ".join(text.split()) for text in reversed(answers)}
    assert accepted == [unique[key] for key in dict.fromkeys(normalise_text(text) for text in answers)]


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_literal_escaping_shows_the_same_text(text: str) -> None:
    assert shown(escape_literal(text)) == " ".join(text.split())


_GIFTISH = st.lists(
    st.sampled_from(
        [
            *"=~#{}:\\%->.\n\r\t /[]<>&",
            "::",
            "//",
            "####",
            "\n\n",
            "$CATEGORY: x\n",
            "[html]",
            "{T}",
            "{#",
            "->",
            "а",
            "Б",
            "x",
            "1",
            "2.5",
            "\ufeff",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_GIFTISH)
def test_any_text_converts_without_crashing_and_errors_point_into_the_file(text: str) -> None:
    result = convert_gift(text, quiz_id="x", title="X")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for error in result.errors:
        assert 1 <= error.line <= len(lines) and 1 <= error.col <= len(lines[error.line - 1]) + 1, error
    if not result.errors and APP_PARSER:
        assert app_payload(result.markdown)[1] == []


# --- the app's own quiz parser --------------------------------------------------------------


def app_payload(text: str) -> tuple[dict, list[str]]:
    """The payload the app's quiz parser makes of a quiz file, and its errors (warnings left out)."""
    from lms.content.frontmatter import SourceFile, split_front_matter
    from lms.content.render import render_markdown
    from lms.quizzes.format import parse_quiz

    parts = split_front_matter(text)
    assert parts is not None
    front, body, body_line = parts
    source = SourceFile("quiz.md", "quiz.md", "", body=body, body_line=body_line, parsed=True)
    rendered = parse_quiz(source, yaml.safe_load(front), render_markdown)
    errors = [f"{p.line}:{p.col}: {p.code} {p.message}" for p in source.problems if p.is_error]
    return rendered.payload, errors


def html_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


@requires_app_parser
@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(_TEXT, min_size=2, max_size=4),
    feedback=_TEXT,
    prompt=_TEXT,
    fmt=st.sampled_from(["[plain]", ""]),
)
def test_texts_survive_the_app_quiz_parser(texts: list[str], feedback: str, prompt: str, fmt: str) -> None:
    assume(all(usable(text) for text in [*texts, feedback, prompt]) and not prompt.strip().startswith("//"))
    if not fmt:
        assume(not any(char in text for text in [*texts, feedback, prompt] for char in "<&"))
    options = [f"~{escape_gift(text)}" for text in texts]
    options[-1] = f"={escape_gift(texts[-1])}#{escape_gift(feedback)}"
    # A comment first: a BOM at the very start of a file is the file's, not the prompt's.
    gift = f"// вопрос\n{fmt}{escape_gift(prompt)}{{\n" + "\n".join(options) + "\n}"
    result = convert_gift(gift, quiz_id="x", title="X")
    assert result.errors == []
    payload, errors = app_payload(result.markdown)
    assert errors == []
    [question] = payload["questions"]
    assert html_text(question["prompt_html"]) == " ".join(prompt.split())
    assert [html_text(option["html"]) for option in question["options"]] == [one_line(t) for t in texts]
    assert [option["correct"] for option in question["options"]] == [False] * (len(texts) - 1) + [True]
    assert html_text(question["options"][-1]["feedback_html"]) == " ".join(feedback.split())


@requires_app_parser
def test_every_converted_fixture_loads_through_the_app_quiz_parser(tmp_path: Path) -> None:
    root = Path(shutil.copytree(COURSES, tmp_path / "courses"))
    module = root / "tiny-course" / "02-two"
    module_md = (module / "module.md").read_text(encoding="utf-8")
    items = []
    for name in FIXTURES:
        result = convert_gift(read(name), quiz_id=quiz_id(name), title=f"Импорт {name}")
        assert result.errors == []
        (module / f"gift-{name}.md").write_text(result.markdown, encoding="utf-8")
        items.append(f"  - gift-{name}.md")
    module_md = module_md.replace("  - 01-third.md\n", "  - 01-third.md\n" + "\n".join(items) + "\n")
    (module / "module.md").write_text(module_md, encoding="utf-8")

    from lms.content.loader import load_tree

    result = load_tree(root)
    assert [p for p in result.problems if "gift-" in p.path] == []
    [course] = result.courses
    quizzes = {item.id: item for module in course.modules for item in module.lessons if item.kind == "quiz"}
    assert sorted(quizzes) == sorted(quiz_id(name) for name in FIXTURES)
    for name in FIXTURES:
        questions, _ = parse_gift(read(name))
        payload = quizzes[quiz_id(name)].payload
        assert [(q["type"], answer_key(q)) for q in payload["questions"]] == [
            (q.kind, expected_key(q)) for q in questions
        ], name


def answer_key(question: dict) -> object:
    """What the app's parser read as the right answer, in a form comparable across both sides."""
    if question["type"] in ("single", "multiple"):
        return [option["correct"] for option in question["options"]]
    if question["type"] == "matching":
        return len(question["options"])
    return question["answer"]


def expected_key(question) -> object:
    if question.kind in ("single", "multiple"):
        return [answer.correct for answer in question.answers]
    if question.kind == "matching":
        return len(question.pairs)
    if question.kind == "truefalse":
        return {"value": question.truth}
    if question.kind == "short":
        return {"accepted": list(dict.fromkeys(a.text.value for a in question.answers if a.correct))}
    number = next(n for n in question.numbers if n.weight == 100)
    if number.upper is not None:
        return {"min": float(number.value), "max": float(number.upper)}
    return {"value": float(number.value), "tolerance": float(number.tolerance)}


def test_a_character_reference_too_long_to_name_a_character_is_not_a_crash() -> None:
    """html.unescape raised ValueError on thousands of digits (int's digit limit)."""
    for prompt in ("[html]Вопрос &#" + "9" * 5000 + ";", "Вопрос &#" + "9" * 5000 + ";"):
        result = convert_gift("::q1:: " + prompt + " {=Да ~Нет}", quiz_id="q", title="Q")
        assert result.questions == 1 and result.errors == [], result.errors
        assert "\n## q1 [single]\nВопрос \ufffd\n" in result.markdown

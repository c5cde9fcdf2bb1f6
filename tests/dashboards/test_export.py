"""CSV and XLSX exports: formula injection is defused, numbers and dates keep their types."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.core.export import EXCEL_RU, Column, neutralise, to_csv, to_xlsx

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
BOM = b"\xef\xbb\xbf"
DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil","x")',
    "+79161234567",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\tплан",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "   =1+1",
    "\u00a0\u3000-1",
    " \t1",
]
SAFE = ["Иванов Пётр", "a=b", "1-2", "'=already quoted", "   ", "", "42", "<b>"]
# Written independently of neutralise(): blanks that are not tab or line breaks, then a trigger.
TRIGGER_AFTER_BLANKS = re.compile(r"[^\S\t\r\n]*[=+\-@\t\r\n＝＋－＠]")

COLUMNS = [
    Column("name", "ФИО"),
    Column("done", "Сделано", "int"),
    Column("score", "Балл", "float"),
    Column("percent", "Прогресс, %", "percent"),
    Column("due", "Срок", "date"),
    Column("seen", "Активность", "datetime"),
]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@dataclass
class XCell:
    type: str | None  # the `t` attribute: None for numbers, "inlineStr" or "s" for text
    value: str
    number_format: str
    bold: bool


class Workbook:
    """The first sheet of an XLSX read back with zipfile and ElementTree, no spreadsheet library."""

    def __init__(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.parts = {name: archive.read(name) for name in archive.namelist()}
        self.sheet = self._xml("xl/worksheets/sheet1.xml")
        self.shared = (
            [_unescape("".join(si.itertext())) for si in self._xml("xl/sharedStrings.xml")]
            if "xl/sharedStrings.xml" in self.parts
            else []
        )
        styles = self._xml("xl/styles.xml")
        formats = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(f"{MAIN}numFmt")}
        fonts = [font.find(f"{MAIN}b") is not None for font in styles.find(f"{MAIN}fonts")]
        self.styles = [
            (formats.get(int(xf.get("numFmtId")), "General"), fonts[int(xf.get("fontId"))])
            for xf in styles.find(f"{MAIN}cellXfs")
        ]

    def _xml(self, name: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.parts[name])

    def cells(self) -> dict[str, XCell]:
        out = {}
        for c in self.sheet.iter(f"{MAIN}c"):
            kind = c.get("t")
            if kind == "inlineStr":
                value = _unescape("".join(c.find(f"{MAIN}is").itertext()))
            elif kind == "s":
                value = self.shared[int(c.find(f"{MAIN}v").text)]
            else:
                value = c.find(f"{MAIN}v").text
            number_format, bold = self.styles[int(c.get("s", 0))]
            out[c.get("r")] = XCell(kind, value, number_format, bold)
        return out

    def formulas(self) -> list[str]:
        found = []
        for name in self.parts:
            if name.endswith(".xml"):
                found += [name for element in self._xml(name).iter(f"{MAIN}f")]
        return found


def _unescape(text: str) -> str:
    """Undo the `_xHHHH_` escapes OOXML uses for control characters (and `_x005F_` for `_`)."""
    return re.sub(r"_x([0-9a-fA-F]{4})_", lambda match: chr(int(match.group(1), 16)), text)


def excel_serial(moment: date | datetime) -> float:
    start = datetime(1899, 12, 30)
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return (moment - start).total_seconds() / 86400


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralise_prefixes_a_quote_on_dangerous_text(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_neutralise_leaves_safe_text_alone(text):
    assert neutralise(text) == text


def test_csv_neutralises_every_dangerous_text_cell_and_header():
    columns = [Column("name", "=Имя")]
    rows = read_csv(to_csv(columns, [{"name": text} for text in DANGEROUS + SAFE]))
    assert rows[0] == ["'=Имя"]
    assert [row[0] for row in rows[1:]] == ["'" + text for text in DANGEROUS] + SAFE


def test_xlsx_neutralises_every_dangerous_text_cell_as_a_string_never_a_formula():
    book = Workbook(to_xlsx([Column("name", "=Имя")], [{"name": text} for text in DANGEROUS + SAFE]))
    cells = book.cells()
    assert cells["A1"].value == "'=Имя"
    for number, text in enumerate(DANGEROUS, start=2):
        assert cells[f"A{number}"].type in ("inlineStr", "s")
        assert cells[f"A{number}"].value == "'" + text
    assert book.formulas() == []


def test_xlsx_escapes_text_that_looks_like_rich_string_xml():
    smuggled = (
        '<r><t>x</t></r></is></c><c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="inlineStr"><is><r><t>y</t></r>'
    )
    book = Workbook(to_xlsx([Column("name", "Имя")], [{"name": smuggled}]))
    assert book.formulas() == []
    assert set(book.cells()) == {"A1", "A2"}
    assert book.cells()["A2"].value == "'" + smuggled


def test_xlsx_text_over_a_cells_limit_ends_with_an_ellipsis_where_it_is_cut():
    long = "Очень длинный ответ. " * 2000  # 42,000 characters; a cell holds 32,767
    book = Workbook(to_xlsx([Column("name", "Имя")], [{"name": long}, {"name": long[:32767]}]))
    assert book.cells()["A2"].value == long[:32766] + "…"
    assert book.cells()["A3"].value == long[:32767]  # at the limit: whole


def test_csv_has_bom_crlf_and_round_trips_cyrillic():
    name = 'Пётр Ёлкин, «Москва» "Север"\nвторая строка'
    data = to_csv(COLUMNS, [{"name": name}])
    assert data.startswith(BOM)
    assert data.count(b"\r\n") == 2
    assert read_csv(data) == [[c.title for c in COLUMNS], [name, "", "", "", "", ""]]


def test_csv_writes_numbers_plainly_and_keeps_negative_numbers_numbers():
    rows = [
        {"done": 12, "score": 45.5, "percent": 45.5},
        {"done": -3, "score": -0.25, "percent": -12.0},
        {"done": 0, "score": 0.1 + 0.2, "percent": Decimal("99.50")},
    ]
    assert [row[1:4] for row in read_csv(to_csv(COLUMNS, rows))[1:]] == [
        ["12", "45.5", "45.5"],
        ["-3", "-0.25", "-12"],
        ["0", "0.3", "99.50"],
    ]


def test_csv_turns_text_in_a_number_column_into_neutralised_text():
    rows = [{"done": "-5"}, {"done": "=1+1"}, {"done": True}, {"done": float("nan")}, {"done": float("-inf")}]
    assert [row[1] for row in read_csv(to_csv(COLUMNS, rows))[1:]] == ["'-5", "'=1+1", "True", "", ""]


def test_csv_writes_none_and_missing_keys_as_empty_cells():
    rows = read_csv(to_csv(COLUMNS, [dict.fromkeys(c.key for c in COLUMNS), {}]))
    assert rows[1:] == [[""] * len(COLUMNS)] * 2


def test_csv_dates_are_iso_and_datetimes_are_moscow_minutes():
    vladivostok = ZoneInfo("Asia/Vladivostok")
    rows = [
        {"due": date(2026, 9, 1), "seen": datetime(2026, 9, 1, 9, 30, 59, tzinfo=UTC)},
        {
            "due": datetime(2026, 8, 31, 22, 0, tzinfo=UTC),
            "seen": datetime(2026, 9, 1, 9, 30, tzinfo=vladivostok),
        },
        {"due": None, "seen": datetime(2026, 9, 1, 9, 30)},  # naive: UTC, as the database stores it
        {"seen": date(2026, 9, 1)},
    ]
    assert [row[4:] for row in read_csv(to_csv(COLUMNS, rows))[1:]] == [
        ["2026-09-01", "2026-09-01 12:30"],
        ["2026-09-01", "2026-09-01 02:30"],
        ["", "2026-09-01 12:30"],
        ["", "2026-09-01"],
    ]


def read_excel_ru(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_excel_ru_separates_with_semicolons_and_writes_decimal_commas():
    rows = [
        {"name": "Иванов; Пётр", "done": 12, "score": 45.5, "percent": 33.3},
        {"name": "a,b", "done": -3, "score": -0.25, "percent": Decimal("99.50")},
        {"done": 1234567, "score": 0.1 + 0.2, "percent": 0.0},
    ]
    data = to_csv(COLUMNS, rows, EXCEL_RU)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "ФИО;Сделано;Балл;Прогресс, %;Срок;Активность"
    assert lines[1] == '"Иванов; Пётр";12;45,5;33,3;;'  # a `;` in text is quoted, a comma is not
    assert lines[2] == "a,b;-3;-0,25;99,50;;"
    assert lines[3] == ";1234567;0,3;0;;"  # no thousands separator: Excel would read text


def test_excel_ru_dates_are_day_month_year_in_moscow_time():
    rows = [
        {"due": date(2026, 9, 1), "seen": datetime(2026, 9, 1, 9, 30, 59, tzinfo=UTC)},
        {"due": datetime(2026, 8, 31, 22, 0, tzinfo=UTC), "seen": datetime(2026, 9, 1, 9, 30)},
        {"seen": date(2026, 9, 1)},
    ]
    assert [row[4:] for row in read_excel_ru(to_csv(COLUMNS, rows, EXCEL_RU))[1:]] == [
        ["01.09.2026", "01.09.2026 12:30"],
        ["01.09.2026", "01.09.2026 12:30"],
        ["", "01.09.2026"],
    ]


def test_excel_ru_is_formula_safe_in_text_headers_and_number_columns():
    columns = [Column("name", "=title"), Column("done", "Сделано", "int"), Column("score", "Балл", "float")]
    rows = [{"name": text, "done": "-5", "score": "=1+1"} for text in DANGEROUS]
    read = read_excel_ru(to_csv(columns, rows, EXCEL_RU))
    assert read[0][0] == "'=title"
    assert [row[0] for row in read[1:]] == [neutralise(text) for text in DANGEROUS]
    assert all(row[0].startswith("'") for row in read[1:])
    assert {(row[1], row[2]) for row in read[1:]} == {("'-5", "'=1+1")}


def test_excel_ru_leaves_commas_in_text_of_number_columns_alone():
    # Only real numbers get a decimal comma; text that ended up in a number column stays as written.
    rows = [{"score": "1.5 (approx.)"}, {"score": 2.5}]
    assert [row[2] for row in read_excel_ru(to_csv(COLUMNS, rows, EXCEL_RU))[1:]] == ["1.5 (approx.)", "2,5"]


def test_xlsx_types_numbers_percentages_dates_and_datetimes():
    rows = [
        {
            "name": "Иванов",
            "done": -3,
            "score": -45.5,
            "percent": 45.5,
            "due": date(2026, 9, 1),
            "seen": datetime(2026, 9, 1, 9, 30, tzinfo=UTC),
        },
        {"name": None, "done": None, "score": Decimal("0.5"), "percent": float("nan")},
    ]
    book = Workbook(to_xlsx(COLUMNS, rows))
    cells = book.cells()
    assert [cells[f"{col}1"].bold for col in "ABCDEF"] == [True] * 6
    assert cells["A2"] == XCell("inlineStr", "Иванов", "General", False)
    assert cells["B2"] == XCell(None, "-3", "General", False)
    assert cells["C2"] == XCell(None, "-45.5", "General", False)
    assert cells["D2"] == XCell(None, "45.5", '0.0"%"', False)
    assert cells["E2"].type is None and cells["E2"].number_format == "yyyy-mm-dd"
    assert float(cells["E2"].value) == excel_serial(date(2026, 9, 1))
    assert cells["F2"].type is None and cells["F2"].number_format == "yyyy-mm-dd hh:mm"
    assert float(cells["F2"].value) == pytest.approx(excel_serial(datetime(2026, 9, 1, 12, 30)))
    assert set(cells) & {"A3", "B3", "D3", "E3", "F3"} == set()
    assert cells["C3"] == XCell(None, "0.5", "General", False)
    assert book.formulas() == []


def test_xlsx_freezes_the_header_row_and_sizes_columns():
    book = Workbook(to_xlsx(COLUMNS, [{"name": "Очень длинное имя кандидата " * 5}]))
    pane = book.sheet.find(f"{MAIN}sheetViews/{MAIN}sheetView/{MAIN}pane")
    assert (pane.get("ySplit"), pane.get("state"), pane.get("topLeftCell")) == ("1", "frozen", "A2")
    widths = [float(col.get("width")) for col in book.sheet.iter(f"{MAIN}col")]
    assert 60 <= widths[0] < 62
    assert all(8 < width < 30 for width in widths[1:])


def test_xlsx_sheet_name_follows_excel_rules():
    book = Workbook(to_xlsx(COLUMNS, [], sheet="'Регион 77: [весна]/2026, очень длинное имя'"))
    sheet = ElementTree.fromstring(book.parts["xl/workbook.xml"]).find(f"{MAIN}sheets/{MAIN}sheet")
    assert sheet.get("name") == "Регион 77   весна  2026, очень"
    default = Workbook(to_xlsx(COLUMNS, []))
    assert b'name="\xd0\x94\xd0\xb0\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5"' in default.parts["xl/workbook.xml"]


def test_rows_may_be_a_one_pass_generator():
    rows = ({"name": f"Кандидат {i}", "done": i} for i in range(3))
    assert len(read_csv(to_csv(COLUMNS, rows))) == 4
    rows = ({"name": f"Кандидат {i}", "done": i} for i in range(3))
    assert "B4" in Workbook(to_xlsx(COLUMNS, rows)).cells()


def test_lone_surrogates_become_replacement_characters_instead_of_failing():
    rows = [{"name": "Иван\ud800ов"}]
    assert read_csv(to_csv(COLUMNS, rows))[1][0] == "Иван\ufffdов"
    assert Workbook(to_xlsx(COLUMNS, rows)).cells()["A2"].value == "Иван\ufffdов"


def test_xlsx_leaves_no_temporary_files_when_reading_rows_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def rows():
        yield {"name": "Кандидат", "done": 1}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        to_xlsx(COLUMNS, rows())
    assert Workbook(to_xlsx(COLUMNS, [{"name": "x"}])).cells()["A2"].value == "x"
    assert list(tmp_path.iterdir()) == []


def test_unknown_column_kind_is_refused():
    with pytest.raises(ValueError, match="unknown column kind"):
        Column("x", "X", "money")


texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("=+-@\t\r\n＝＋－＠ \u00a0\u3000'\"<>/r_x0,;")), st.characters(codec="utf-8")
    ),
    max_size=20,
)


@given(texts)
def test_csv_cell_reads_back_as_the_text_or_quoted_exactly_when_dangerous(text):
    [cell] = read_csv(to_csv([Column("name", "Имя")], [{"name": text}]))[1]
    dangerous = TRIGGER_AFTER_BLANKS.match(text) is not None
    assert cell == ("'" + text if dangerous else text)


@settings(deadline=None, max_examples=50)
@given(st.one_of(texts, st.builds("<r>{}</r>".format, texts)))
def test_xlsx_cell_reads_back_as_the_text_or_quoted_exactly_when_dangerous(text):
    book = Workbook(to_xlsx([Column("name", "Имя")], [{"name": text}]))
    cell = book.cells().get("A2")
    rich_xml = text.startswith("<r>") and text.endswith("</r>")
    dangerous = TRIGGER_AFTER_BLANKS.match(text) is not None or rich_xml
    assert (cell.value if cell else "") == ("'" + text if dangerous else text)
    assert cell is None or cell.type in ("inlineStr", "s")
    assert book.formulas() == []

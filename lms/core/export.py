"""Turn a table of plain rows into CSV or XLSX bytes that are safe to open in a spreadsheet.

No Flask, no database: a view builds the columns and rows from its scoped query and sends the bytes.
Text is defended against formula injection; numbers and dates keep their types. CSV comes in two
dialects: STANDARD (comma, decimal point, ISO dates) and EXCEL_RU (semicolon, decimal comma,
dd.mm.yyyy), for Excel set to Russian, which splits a double-clicked CSV on its list separator `;`.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import xlsxwriter

from lms.core.time import as_utc

MOSCOW = ZoneInfo("Europe/Moscow")
KINDS = ("text", "int", "float", "percent", "date", "datetime")
DEFAULT_SHEET = "Данные"

# OWASP CSV injection: a leading `=`, `+`, `-` or `@` starts a formula; tab and line breaks are
# dropped by some importers, exposing what follows. Full-width forms are on the list because Excel
# with a CJK input method reads them as their ASCII twins.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")

# Excel keeps 15 significant digits, so printing more only shows float noise (0.1 + 0.2).
FLOAT_FORMAT = ".15g"
PERCENT_FORMAT = '0.0"%"'  # the value is already in percent: 45.5 shows as 45.5%
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
KIND_WIDTHS = {"text": 8, "int": 8, "float": 10, "percent": 8, "date": 10, "datetime": 16}
MAX_WIDTH = 60
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# No database hands out lone surrogates, but one stray in a str must not break a download.
SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"

WORKBOOK_OPTIONS = {
    # Rows stream to a temporary file instead of piling up as Python objects. XlsxWriter turns
    # constant_memory off whenever in_memory is on, so the two cannot be combined; only the
    # finished workbook is built in a BytesIO.
    "constant_memory": True,
    # write_string() never converts anyway; these keep a stray write() from doing it either.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

Cell = str | int | float | Decimal | date | datetime | None


@dataclass(frozen=True)
class Column:
    """One exported column: the row key it reads, its header, and how its values are typed."""

    key: str
    title: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {', '.join(KINDS)}")


class CountingRows:
    """Rows passed through to a writer and counted on the way: the audit record of an export says
    how many rows left, without building the list twice or running the query again."""

    def __init__(self, rows: Iterable[Mapping[str, object]]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Mapping[str, object]]:
        for row in self.rows:
            self.count += 1
            yield row


def neutralise(value: str) -> str:
    """Prefix `'` when a spreadsheet could read the text as a formula."""
    for char in value:
        if char in FORMULA_TRIGGERS:
            return "'" + value
        if not char.isspace():
            return value
    return value


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file separates cells and writes numbers and dates."""

    name: str
    delimiter: str
    fields: Mapping[str, Callable[[object], str | int]]


def to_csv(
    columns: list[Column], rows: Iterable[Mapping[str, object]], dialect: CsvDialect | None = None
) -> bytes:
    """UTF-8 CSV with a BOM and CRLF line ends, so Excel opens Cyrillic text correctly.

    The standard dialect (comma, decimal point, ISO dates) is for programs; EXCEL_RU is for a
    double click in Excel set to Russian, which splits on `;` and reads `3,5` as a number.
    """
    dialect = dialect or STANDARD
    plan = [(column.key, dialect.fields[column.kind]) for column in columns]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=dialect.delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(column.title) for column in columns])
    writer.writerows([field(row.get(key)) for key, field in plan] for row in rows)
    text = buffer.getvalue()
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATES.sub(REPLACEMENT, text).encode("utf-8")


def to_xlsx(
    columns: list[Column], rows: Iterable[Mapping[str, object]], *, sheet: str = DEFAULT_SHEET
) -> bytes:
    """One-sheet XLSX workbook: bold frozen header, typed numbers and dates, text never a formula."""
    buffer = io.BytesIO()
    # constant_memory rows live in a named temporary file that XlsxWriter removes only in close();
    # our own directory takes it away even when reading the rows fails halfway.
    with (
        tempfile.TemporaryDirectory(prefix="lms-export-") as tmpdir,
        xlsxwriter.Workbook(buffer, {**WORKBOOK_OPTIONS, "tmpdir": tmpdir}) as workbook,
    ):
        _fill_sheet(workbook, columns, rows, sheet)
    return buffer.getvalue()


def _fill_sheet(
    workbook: xlsxwriter.Workbook, columns: list[Column], rows: Iterable[Mapping[str, object]], sheet: str
) -> None:
    worksheet = workbook.add_worksheet(_sheet_name(sheet))
    header = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": PERCENT_FORMAT})
    day = workbook.add_format({"num_format": DATE_FORMAT})
    moment = workbook.add_format({"num_format": DATETIME_FORMAT})
    write_string, write_number, write_datetime = (
        worksheet.write_string,
        worksheet.write_number,
        worksheet.write_datetime,
    )

    widths = [max(len(column.title), KIND_WIDTHS[column.kind]) for column in columns]
    for index, column in enumerate(columns):
        write_string(0, index, _xlsx_text(neutralise(column.title)), header)
    worksheet.freeze_panes(1, 0)

    plan = [
        (index, column.key, _CELLS[column.kind], percent if column.kind == "percent" else None)
        for index, column in enumerate(columns)
    ]
    for row_number, row in enumerate(rows, start=1):
        for index, key, cell, number_format in plan:
            value = cell(row.get(key))
            if value is None:
                continue
            if isinstance(value, str):
                if value:
                    write_string(row_number, index, _xlsx_text(value))
                    widths[index] = max(widths[index], len(value))
            elif isinstance(value, datetime):
                write_datetime(row_number, index, value, moment)
            elif isinstance(value, date):
                write_datetime(row_number, index, value, day)
            else:
                write_number(row_number, index, float(value), number_format)

    for index, width in enumerate(widths):
        worksheet.set_column(index, index, min(width + 2, MAX_WIDTH))


def _text(value: object) -> str:
    return neutralise(value if isinstance(value, str) else str(value))


def _as_text(value: object) -> Cell:
    return None if value is None else _text(value)


def _as_number(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        # NaN and infinity have no spreadsheet value: an empty cell says "no data" best.
        return value if _finite(value) else None
    return _text(value)


def _finite(value: int | float | Decimal) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return True


def _as_date(value: object) -> Cell:
    if isinstance(value, datetime):
        return _moscow(value).date()
    if isinstance(value, date):
        return value
    return _as_text(value)


def _as_datetime(value: object) -> Cell:
    if isinstance(value, date):  # a datetime, or a bare date which stays a date
        return _moscow(value) if isinstance(value, datetime) else value
    return _as_text(value)


_CELLS: dict[str, Callable[[object], Cell]] = {
    "text": _as_text,
    "int": _as_number,
    "float": _as_number,
    "percent": _as_number,
    "date": _as_date,
    "datetime": _as_datetime,
}


def _moscow(value: datetime) -> datetime:
    """Naive Moscow wall time; naive input is UTC, as the database stores it."""
    return as_utc(value).astimezone(MOSCOW).replace(tzinfo=None)


def _csv_field(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(value, FLOAT_FORMAT)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# One call per cell matters at 100,000 rows: plain str, int and float take a short cut, anything
# else goes through the same _CELLS typing the XLSX writer uses.
def _csv_text(value: object) -> str:
    return neutralise(value) if type(value) is str else _csv_field(_as_text(value))


def _csv_number(value: object) -> str | int:
    if type(value) is int:
        return value  # the csv module prints it
    if type(value) is float and math.isfinite(value):
        return format(value, FLOAT_FORMAT)
    return _csv_field(_as_number(value))


def _csv_date(value: object) -> str:
    return _csv_field(_as_date(value))


def _csv_datetime(value: object) -> str:
    return _csv_field(_as_datetime(value))


_CSV_FIELDS: dict[str, Callable[[object], str | int]] = {
    "text": _csv_text,
    "int": _csv_number,
    "float": _csv_number,
    "percent": _csv_number,
    "date": _csv_date,
    "datetime": _csv_datetime,
}


# Excel set to Russian: `;` between cells, a decimal comma, and the dates it reads as dates
# without asking (dd.mm.yyyy, dd.mm.yyyy hh:mm), so a double click gives typed, sortable columns.
# No thousands separator: Excel would take "1 234,5" for text.
EXCEL_RU_DATE = "%d.%m.%Y"
EXCEL_RU_DATETIME = "%d.%m.%Y %H:%M"


def _excel_ru_number(value: object) -> str | int:
    typed = _as_number(value)
    if typed is None or isinstance(typed, str):  # text is already neutralised: left as written
        return "" if typed is None else typed
    if type(typed) is int:
        return typed
    return _csv_field(typed).replace(".", ",")


def _excel_ru_date(value: object) -> str:
    typed = _as_date(value)
    return typed.strftime(EXCEL_RU_DATE) if isinstance(typed, date) else _csv_field(typed)


def _excel_ru_datetime(value: object) -> str:
    typed = _as_datetime(value)
    if isinstance(typed, datetime):
        return typed.strftime(EXCEL_RU_DATETIME)
    return typed.strftime(EXCEL_RU_DATE) if isinstance(typed, date) else _csv_field(typed)


STANDARD = CsvDialect("standard", ",", _CSV_FIELDS)
EXCEL_RU = CsvDialect(
    "excel-ru",
    ";",
    {
        "text": _csv_text,
        "int": _excel_ru_number,
        "float": _excel_ru_number,
        "percent": _excel_ru_number,
        "date": _excel_ru_date,
        "datetime": _excel_ru_datetime,
    },
)
CSV_DIALECTS = {dialect.name: dialect for dialect in (STANDARD, EXCEL_RU)}


XLSX_CELL_MAX = 32_767  # characters Excel holds in one cell


def _xlsx_text(value: str) -> str:
    """Text as XlsxWriter must receive it: no lone surrogates, nothing it takes for rich-string XML.

    XlsxWriter writes any string that starts with `<r>` and ends with `</r>` into the sheet
    unescaped, so such text could smuggle `<f>` formula elements past write_string(). A lone
    surrogate cannot be written as UTF-8 and would abort the whole file.
    """
    value = SURROGATES.sub(REPLACEMENT, value)
    if value.startswith("<r>") and value.endswith("</r>"):
        value = "'" + value
    if len(value) > XLSX_CELL_MAX:  # XlsxWriter would cut it silently: the reader sees where
        value = value[: XLSX_CELL_MAX - 1] + "…"
    return value


def _sheet_name(name: str) -> str:
    """Excel's sheet-name rules: at most 31 characters, no []:*?/\\, no quote at either end."""
    cleaned = SHEET_NAME_FORBIDDEN.sub(" ", name).strip(" '")[:SHEET_NAME_MAX].rstrip(" '")
    return cleaned or DEFAULT_SHEET

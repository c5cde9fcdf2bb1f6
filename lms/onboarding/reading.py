"""A file of users into rows of text. Flask-free: bytes in, a Table or FileRefused out.

CSV: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or Windows-1251
(Russian Excel's "CSV"); `;`, `,` or tab, sniffed from the header. XLSX: the first sheet, formulas
as the values Excel last computed. The type is told from the content, never from the file name.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from lms.onboarding.columns import recognised_headings
from lms.onboarding.problems import FileRefused, Problem

if TYPE_CHECKING:
    from _csv import Reader as CsvReader  # what csv.reader() returns; typeshed's name for it

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 1000
# An XLSX is a zip: what it unpacks to is limited too (a small file can hold a huge sheet).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MERGED_RANGES = 1000
# The header is the first row naming at least two known columns among the first rows with text
# (a title row above the table is common); failing that, the first row with text.
HEADER_SEARCH_ROWS = 10
DELIMITERS = (";", ",", "\t")

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, and password-protected .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"
# PDF, PNG, GIF, JPEG, RTF, gzip, RAR, 7-Zip: refused before any attempt to read them as text.
BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"{\\rtf",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
)
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_FORMULA_OR_MERGE = re.compile(rb"<(?:\w+:)?(?:f|mergeCell)[\s>/]")


@dataclass(frozen=True)
class Row:
    """One data row: its number as the spreadsheet shows it (the header is usually row 1)."""

    number: int
    values: tuple[str, ...]
    # Column index -> what is wrong with that cell (the value is then "").
    problems: dict[int, Problem] = field(default_factory=dict)
    # Wrong with the row as a whole (a CSV row with more values than the header has columns).
    row_problem: Problem | None = None


@dataclass
class Table:
    kind: str  # "csv" | "xlsx"
    header_row: int
    headings: tuple[str, ...]
    rows: list[Row]
    notes: list[Problem]
    encoding: str | None = None  # CSV
    delimiter: str | None = None  # CSV
    sheet: str | None = None  # XLSX


def read_table(content: bytes) -> Table:
    """Rows of stripped text under their header; raises FileRefused with the reason."""
    if len(content) > MAX_BYTES:
        raise FileRefused("too_big", megabytes=MAX_BYTES // (1024 * 1024))
    if not content.strip():
        raise FileRefused("empty")
    if content.startswith(OLE2_SIGNATURE):
        raise FileRefused("old_excel")
    if content.startswith((ZIP_SIGNATURE, b"PK\x05\x06")):
        return _read_xlsx(content)
    if content.startswith(BINARY_SIGNATURES):
        raise FileRefused("not_a_table")
    return _read_csv(content)


# --- Cells and rows, both formats ---------------------------------------------------------------


def clean_cell(value: str) -> tuple[str, Problem | None]:
    """Trim a cell, one space between words, letters composed; control characters and huge cells
    are a problem."""
    if len(value) > MAX_CELL_CHARS:
        return "", Problem("cell_too_long", limit=MAX_CELL_CHARS)
    value = _INVISIBLE.sub("", value)
    if _CONTROL.search(value):
        return "", Problem("control_characters")
    # Composed letters: a name typed on a Mac ("и" + breve) equals the same name typed elsewhere ("й").
    return unicodedata.normalize("NFC", " ".join(value.split())), None


RawRow = tuple[int, list[str], dict[int, Problem]]


def _tabulate(records: Iterable[RawRow], table: Table, *, extra_values_are_wrong: bool) -> Table:
    """Find the header among the first rows with text, then collect the data rows under it."""
    pending: list[RawRow] = []
    for record in records:
        _number, values, problems = record
        if not any(values) and not problems:
            continue
        if table.headings:
            _add_row(table, record, extra_values_are_wrong)
            continue
        pending.append(record)
        if recognised_headings(values) >= 2:
            # This is the header; rows above it are a title or notes.
            if pending[:-1]:
                table.notes.append(Problem("rows_above_header", rows=[early[0] for early in pending[:-1]]))
            _set_header(table, record)
            pending = []
        elif len(pending) >= HEADER_SEARCH_ROWS:
            pending = _header_is_first(table, pending, extra_values_are_wrong)
    if not table.headings:
        if not pending:
            raise FileRefused("empty")
        _header_is_first(table, pending, extra_values_are_wrong)
    return table


def _header_is_first(table: Table, pending: list[RawRow], extra_values_are_wrong: bool) -> list[RawRow]:
    """No row names two known columns: the first row with text is the header (map_columns says
    which required columns it lacks)."""
    _set_header(table, pending[0])
    for early in pending[1:]:
        _add_row(table, early, extra_values_are_wrong)
    return []


def _set_header(table: Table, record: RawRow) -> None:
    table.header_row = record[0]
    table.headings = _trim_headings(record[1])


def _trim_headings(values: list[str]) -> tuple[str, ...]:
    while values and not values[-1]:
        values = values[:-1]
    return tuple(values)


def _add_row(table: Table, record: RawRow, extra_values_are_wrong: bool) -> None:
    number, values, problems = record
    width = len(table.headings)
    if len(table.rows) >= MAX_ROWS:
        raise FileRefused("too_many_rows", limit=MAX_ROWS)
    row_problem = None
    if extra_values_are_wrong and any(values[width:]):
        row_problem = Problem("extra_values", count=len(values), columns=width)
    padded = tuple(values[:width]) + ("",) * max(0, width - len(values))
    table.rows.append(
        Row(number, padded, {i: p for i, p in problems.items() if i < width}, row_problem=row_problem)
    )


# --- CSV ----------------------------------------------------------------------------------------


def decode_text(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in."""
    for bom, codec, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
    ):
        if content.startswith(bom):
            try:
                return content.decode(codec), encoding
            except UnicodeDecodeError:
                raise FileRefused("encoding") from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if _mostly_utf8(content):
            raise FileRefused("broken_utf8", line=content.count(b"\n", 0, error.start) + 1) from None
    try:
        return content.decode("cp1251"), "windows-1251"
    except UnicodeDecodeError:
        raise FileRefused("encoding") from None


def _mostly_utf8(content: bytes) -> bool:
    """Most of the non-ASCII text is valid UTF-8: a UTF-8 file with a stray byte, which read as
    Windows-1251 would turn every Cyrillic letter into two others. (Windows-1251 text is almost
    never valid UTF-8: its letters are lead bytes followed by letters, not continuation bytes.)"""
    text = content.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return non_ascii - broken > broken


def sniff_delimiter(text: str) -> str:
    """The delimiter under which the first lines name the most known columns (then: most fields)."""
    sample = [line for line in text.splitlines()[:50] if line.strip()][:HEADER_SEARCH_ROWS]

    def score(delimiter: str) -> tuple[int, int]:
        try:
            rows = list(csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            return (0, 0)
        known = max((recognised_headings([cell.strip() for cell in row]) for row in rows), default=0)
        return (known, len(rows[0]) if rows else 0)

    return max(DELIMITERS, key=score)  # max() keeps the first of equals: `;` before `,` before tab


def _read_csv(content: bytes) -> Table:
    text, encoding = decode_text(content)
    if "\x00" in text or len(_CONTROL.findall(text[:100_000])) > max(3, len(text[:100_000]) // 200):
        raise FileRefused("not_a_table")
    delimiter = sniff_delimiter(text)
    table = Table("csv", header_row=0, headings=(), rows=[], notes=[], encoding=encoding, delimiter=delimiter)
    if encoding == "windows-1251":
        table.notes.append(Problem("read_as_cp1251"))
    # strict: a stray quote is an error, not a cell that swallows the rows after it unnoticed.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    return _tabulate(_csv_records(reader), table, extra_values_are_wrong=True)


def _csv_records(reader: CsvReader) -> Iterator[RawRow]:
    """Cleaned records; a record the reader cannot parse refuses the file, naming its first line."""
    line = 0  # where the last good record ended: the broken one starts on the next line
    try:
        for number, record in enumerate(reader, start=1):
            line = reader.line_num
            values, problems = [], {}
            for index, raw in enumerate(record[: MAX_COLUMNS * 2]):
                value, problem = clean_cell(raw)
                values.append(value)
                if problem:
                    problems[index] = problem
            yield number, values, problems
    except csv.Error:
        raise FileRefused("broken_csv", row=line + 1) from None


# --- XLSX ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Merge:
    ref: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int


def _read_xlsx(content: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused("not_a_table") from None
    with archive:
        if "xl/workbook.xml" not in names:
            raise FileRefused("opendocument" if "content.xml" in names else "not_a_table")
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise FileRefused("too_big_unpacked", megabytes=MAX_UNPACKED_BYTES // (1024 * 1024))
        # openpyxl warns about styles and extensions it does not know; the data is still read.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return _read_workbook(content, archive)
            except FileRefused:
                raise
            except Exception:  # a damaged workbook fails in many ways inside openpyxl
                raise FileRefused("broken_xlsx") from None


def _read_workbook(content: bytes, archive: zipfile.ZipFile) -> Table:
    # openpyxl is imported when a workbook arrives, not with the app: it adds 0.2 s to the start of
    # every process and `flask` command (this module is loaded by the users CLI group).
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        # The first sheet Excel shows: a hidden one (a list of codes, an old copy) is not the table.
        shown = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if not shown:
            raise FileRefused("no_sheet")
        sheet = shown[0]
        table = Table(kind="xlsx", header_row=0, headings=(), rows=[], notes=[], sheet=sheet.title)
        if len(workbook.sheetnames) > 1:
            table.notes.append(Problem("first_sheet_only", sheet=sheet.title, count=len(workbook.sheetnames)))
        # ReadOnlyWorksheet keeps its part's path privately; the scan needs the raw XML, because
        # openpyxl reads a formula with no computed value and one that computed "" both as None.
        uncached, merges = _scan_sheet(archive, sheet._worksheet_path)
        sheet.reset_dimensions()  # some writers store a wrong size; read the rows that are there
        records = _xlsx_records(sheet.iter_rows(max_col=MAX_COLUMNS), uncached, merges, get_column_letter)
        _tabulate(records, table, extra_values_are_wrong=False)
    finally:
        workbook.close()
    header_merges = [m.ref for m in merges if m.min_row <= table.header_row <= m.max_row]
    if header_merges:
        raise FileRefused("merged_header", cells=", ".join(header_merges))
    return table


def _scan_sheet(archive: zipfile.ZipFile, path: str) -> tuple[set[tuple[int, int]], list[_Merge]]:
    """Cells with a formula but no computed value, and the merged ranges, from the sheet's XML."""
    # Imported on use for the reason given in _read_workbook (start-up time).
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
    from openpyxl.xml.functions import iterparse  # defusedxml's when installed (it is)

    uncached: set[tuple[int, int]] = set()
    merges: list[_Merge] = []
    row = column = 0
    path = path.lstrip("/")
    with archive.open(path) as source:
        # Most sheets have neither formulas nor merged cells: one quick look spares the XML parse.
        data = source.read()
    if not _FORMULA_OR_MERGE.search(data):
        return uncached, merges
    for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == SHEET_NS + "row":
                row = int(element.get("r") or row + 1)
                column = 0
            continue
        if tag == SHEET_NS + "c":
            reference = element.get("r")
            if reference:
                row, column = coordinate_to_tuple(reference)
            else:
                column += 1
            formula = element.find(SHEET_NS + "f")
            if formula is not None:
                value = element.find(SHEET_NS + "v")
                # An empty <v> is a computed "" only for a string result (t="str").
                if value is None or (not value.text and element.get("t") != "str"):
                    uncached.add((row, column))
            element.clear()
        elif tag == SHEET_NS + "row":
            element.clear()
        elif tag == SHEET_NS + "mergeCell":
            ref = element.get("ref") or ""
            try:
                min_col, min_row, max_col, max_row = range_boundaries(ref)
            except (ValueError, TypeError):
                continue
            min_row, min_col = min_row or 1, min_col or 1
            merges.append(_Merge(ref, min_row, min_col, max_row or min_row, max_col or min_col))
            if len(merges) > MAX_MERGED_RANGES:
                raise FileRefused("too_many_merges", limit=MAX_MERGED_RANGES)
    return uncached, merges


def _xlsx_records(rows, uncached, merges, letter) -> Iterator[RawRow]:
    for number, cells in enumerate(rows, start=1):
        values: list[str] = []
        problems: dict[int, Problem] = {}
        row_merges = [m for m in merges if m.min_row <= number <= m.max_row]
        for index, cell in enumerate(cells):
            column = index + 1
            value, problem = _cell_text(cell)
            if uncached and (number, column) in uncached:
                value, problem = "", Problem("formula_without_value", cell=f"{letter(column)}{number}")
            for merge in row_merges:
                top_left = (number, column) == (merge.min_row, merge.min_col)
                if merge.min_col <= column <= merge.max_col and not top_left:
                    value, problem = (
                        "",
                        Problem("merged_cell", cell=f"{letter(column)}{number}", range=merge.ref),
                    )
            values.append(value)
            if problem:
                problems[index] = problem
        yield number, values, problems


def _cell_text(cell) -> tuple[str, Problem | None]:
    value = getattr(cell, "value", None)
    if value is None:
        return "", None
    if getattr(cell, "data_type", None) == "e":
        return "", Problem("excel_error", cell=cell.coordinate, value=str(value))
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, float):
        # Codes typed as numbers arrive as 77.0; keep them "77".
        return (str(int(value)) if value.is_integer() else repr(value)), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(), None
    return clean_cell(str(value))

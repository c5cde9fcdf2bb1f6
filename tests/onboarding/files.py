"""Files of users built in the tests: CSV text in any encoding, XLSX written with openpyxl (and
patched where openpyxl cannot write what Excel writes, such as a formula's computed value)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def csv_bytes(rows: Sequence[Sequence[object]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Sequence[Sequence[object]],
    *,
    merge: Sequence[str] = (),
    text_cells: Sequence[str] = (),
    more_sheets: Sequence[str] = (),
    title: str = "Люди",
    hidden_first: Sequence[Sequence[object]] | None = None,
) -> bytes:
    """A workbook whose first sheet holds `rows`; values starting with "=" are formulas, except in
    `text_cells` (coordinates), which hold that text as typed."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for coordinate in text_cells:
        sheet[coordinate].data_type = "s"
    for cells in merge:
        sheet.merge_cells(cells)
    for name in more_sheets:
        workbook.create_sheet(name).append(["something else"])
    if hidden_first is not None:  # a hidden sheet before it, holding these rows
        hidden = workbook.create_sheet("Скрытый", 0)
        hidden.sheet_state = "hidden"
        for row in hidden_first:
            hidden.append(list(row))
        workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def patch_sheet(content: bytes, change: Callable[[str], str], part: str = SHEET) -> bytes:
    """The same workbook with its sheet XML rewritten."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return buffer.getvalue()


def with_computed(content: bytes, values: dict[str, str]) -> bytes:
    """Give formula cells the value Excel would have stored ({"C2": "77"}): a string as Excel stores
    it (t="str"), a number plainly, "#N/A"-style values as errors (t="e")."""

    def change(xml: str) -> str:
        for coordinate, value in values.items():
            if value.startswith("#"):
                kind = ' t="e"'
            elif re.fullmatch(r"-?\d+(\.\d+)?", value):
                kind = ""
            else:
                kind = ' t="str"'
            pattern = re.compile(rf'<c r="{coordinate}"([^>]*)><f>(.*?)</f><v\s*/>')
            replacement = rf'<c r="{coordinate}"\g<1>{kind}><f>\g<2></f><v>{value}</v>'
            xml, count = pattern.subn(replacement, xml)
            assert count == 1, f"no formula cell {coordinate}"
        return xml

    return patch_sheet(content, change)

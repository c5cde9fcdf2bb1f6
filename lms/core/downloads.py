"""File downloads of exported tables: one Content-Type per format, never cached, dialect from the URL."""

from __future__ import annotations

from flask import Response, abort, request

from lms.core.export import CSV_DIALECTS, STANDARD, CsvDialect

# Given as the whole Content-Type: passed as a mimetype, Werkzeug would add a second charset.
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DIALECT_ARG = "dialect"


def requested_dialect() -> CsvDialect:
    """`?dialect=excel-ru` asks for the CSV Excel set to Russian opens by double click; 404 if unknown."""
    name = request.args.get(DIALECT_ARG, STANDARD.name)
    if name not in CSV_DIALECTS:
        abort(404)
    return CSV_DIALECTS[name]


def attachment(body: bytes, filename: str, content_type: str) -> Response:
    """The bytes as a download named `filename`, kept out of every cache (they are personal data)."""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def csv_filename(name: str, dialect: CsvDialect) -> str:
    """`region-77.csv`, or `region-77-excel-ru.csv` for the Excel variant."""
    return f"{name}.csv" if dialect is STANDARD else f"{name}-{dialect.name}.csv"

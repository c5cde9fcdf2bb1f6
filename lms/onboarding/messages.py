"""Problem codes as sentences in the reader's language (the pages, and the CLI in Russian)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from lms.onboarding.problems import Problem

FIELD_LABELS = {
    "full_name": _l("Full name"),
    "email": _l("Email"),
    "region": _l("Region"),
    "username": _l("Username"),
    "role": _l("Role"),
    "cohort": _l("Cohort"),
}

MESSAGES = {
    # The file as a whole
    "too_big": _l("The file is larger than %(megabytes)s MB. Split it into smaller files."),
    "empty": _l("The file is empty."),
    "old_excel": _l(
        "This is an old Excel file (.xls) or a password-protected workbook. Open it in Excel and save it "
        "as .xlsx (without a password) or as CSV."
    ),
    "not_a_table": _l("This is neither a CSV file nor an Excel workbook. Save the table as .xlsx or CSV."),
    "opendocument": _l("This is an OpenDocument spreadsheet (.ods). Save it as .xlsx or CSV."),
    "too_big_unpacked": _l(
        "The workbook unpacks to more than %(megabytes)s MB. Copy the table of users into a new "
        "workbook and save that."
    ),
    "broken_xlsx": _l(
        "This Excel file cannot be read; it may be damaged. Open it in Excel and save it again as .xlsx "
        "or CSV."
    ),
    "no_sheet": _l("The workbook has no sheet with a table."),
    "too_many_merges": _l("The sheet has more than %(limit)s merged cell ranges. Unmerge them."),
    "merged_header": _l(
        "The header row has merged cells (%(cells)s). Unmerge them so that every column has a heading "
        "of its own."
    ),
    "too_many_rows": _l("The file has more than %(limit)s rows. Split it into smaller files."),
    "encoding": _l("The text encoding of the file is not recognised. Save it as “CSV UTF-8” or as .xlsx."),
    "broken_utf8": _l(
        "The file is UTF-8 text except on line %(line)s, which holds bytes that are not (a part pasted "
        "from another file?). Type that line again, or save the file again as “CSV UTF-8”."
    ),
    "broken_csv": _l("The CSV file cannot be read near line %(row)s (a quote that is never closed?)."),
    "duplicate_column": _l("The columns “%(first)s” and “%(second)s” mean the same thing. Keep one of them."),
    "missing_columns": _l(
        "Required column missing: %(fields)s. Columns in the file: %(found)s. The headings the import "
        "knows: full_name (ФИО), email (Эл. почта), region (Регион), and optionally username (Логин), "
        "role (Роль), cohort (Группа)."
    ),
    # Notes on the file
    "first_sheet_only": _l("Only the first sheet, “%(sheet)s”, was read; the workbook has %(count)s sheets."),
    "read_as_cp1251": _l("The file was read as Windows-1251 text (the CSV of Russian Excel)."),
    "rows_above_header": _l("Rows above the header were ignored: %(rows)s."),
    "unknown_columns": _l("Columns the import does not know were ignored: %(columns)s."),
    # Cells
    "cell_too_long": _l("The cell is longer than %(limit)s characters."),
    "control_characters": _l("The cell holds control characters."),
    "extra_values": _l(
        "The row has %(count)s values but the header has %(columns)s columns (a delimiter inside a value "
        "that is not in quotes?)."
    ),
    "formula_without_value": _l(
        "Cell %(cell)s holds a formula whose value was never computed (the file was written by a program "
        "that does not calculate). Open the file in Excel and save it, or paste the values."
    ),
    "excel_error": _l("Cell %(cell)s holds the Excel error %(value)s."),
    "merged_cell": _l(
        "Cell %(cell)s is part of the merged cells %(range)s. Unmerge them and fill in every row."
    ),
    # Rows
    "full_name_missing": _l("The full name is empty."),
    "full_name_too_long": _l("The full name is longer than %(limit)s characters."),
    "email_invalid": _l("“%(value)s” is not an email address."),
    "email_mixed_scripts": _l(
        "“%(value)s” mixes Latin and Cyrillic letters that look alike. Type the address again with one "
        "keyboard layout."
    ),
    "email_missing": _l("Give an email address (or a username)."),
    "email_taken": _l("Another account (%(username)s) uses this address."),
    "username_invalid": _l(
        "“%(value)s” is not a valid username: 2-80 latin letters, digits, dots, dashes or underscores."
    ),
    "username_other_account": _l(
        "The address %(email)s belongs to the account %(other)s, and the username column names %(username)s."
    ),
    "role_unknown": _l(
        "Unknown role “%(value)s”. Write candidate, instructor, coordinator or admin (or кандидат, "
        "преподаватель, координатор, администратор)."
    ),
    "region_unknown": _l("Unknown region “%(value)s”. Give its code (77) or its name (г. Москва)."),
    "region_missing": _l("A candidate needs a region."),
    "cohort_unknown": _l("There is no cohort “%(value)s”."),
    "cohort_archived": _l("The cohort “%(value)s” is archived and takes no new members."),
    "cohort_region": _l(
        "The cohort “%(value)s” is for region %(cohort_region)s; the candidate is from %(region)s."
    ),
    "cohort_not_candidate": _l("Only candidates can join a cohort."),
    "cohort_not_allowed": _l(
        "Regional coordinators do not add people to cohorts; ask a national coordinator."
    ),
    "duplicate_email": _l("The same address is also on row %(rows)s."),
    "duplicate_username": _l("The same username is also on row %(rows)s."),
    "duplicate_account": _l("Row %(rows)s is about the same account."),
    "not_manageable": _l("You may not change this account."),
    "own_account": _l("This is your own account: change it on your profile page."),
    # Notes on rows
    "deactivated": _l("The account is deactivated; the import does not reactivate it."),
    "no_invitation": _l("No email address: no invitation will be sent."),
}


def describe(problem: Problem) -> str:
    """The problem as a sentence in the current language."""
    if problem.code == "text":  # a service's own message (permissions), already a lazy string
        return str(problem.params["message"])
    params = {name: _value_text(name, value) for name, value in problem.params.items()}
    return str(MESSAGES[problem.code]) % params


def field_label(field: str | None) -> str:
    return str(FIELD_LABELS[field]) if field else ""


def _value_text(name: str, value: Any) -> str:
    if name == "fields":
        return ", ".join(field_label(field) for field in value)
    if name in ("found", "columns"):
        return ", ".join(f"“{item}”" for item in value) or "—"
    if name == "rows":
        rows = [str(row) for row in value]
        return ", ".join(rows[:10]) + (" …" if len(rows) > 10 else "")
    return str(value)

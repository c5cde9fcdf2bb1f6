"""The upload form (confirming and discarding are a CSRF token and a button)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField


class UploadForm(FlaskForm):
    file = FileField(
        _l("File (.xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose a file."))],
        render_kw={
            "accept": ".xlsx,.csv,.txt,text/csv,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )
    # On by default: a file with a bad row writes nothing unless the admin chooses to skip bad rows.
    strict = BooleanField(_l("Strict: import nothing if any row has an error"), default=True)
    invite = BooleanField(_l("Send invitations to new users"), default=True)

"""The editor's form: the file's text and the token of the version the editor showed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class EditorForm(FlaskForm):
    # No length validator: the service's size limit (AUTHORING_MAX_FILE_BYTES) counts UTF-8 bytes.
    text = TextAreaField(_l("Markdown source"))
    token = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes something (discard a draft, publish a course): only the CSRF token."""

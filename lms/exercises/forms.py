"""Exercise forms. Rubric grading fields are dynamic, so that page reads request.form directly."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length


class SubmissionForm(FlaskForm):
    text = TextAreaField(_l("Your answer (Markdown)"), validators=[Length(max=50_000)])
    files = MultipleFileField(_l("Attach files"))
    version = HiddenField()


class FreeTextForm(FlaskForm):
    free_text = TextAreaField(_l("Your reply"), validators=[Length(max=4000)])


class TeamDraftForm(FlaskForm):
    text = TextAreaField(_l("Your team's plan (Markdown)"), validators=[Length(max=50_000)])
    files = MultipleFileField(_l("Attach files"))
    version = HiddenField()

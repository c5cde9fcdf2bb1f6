"""The course staff form: one instructor to add to one course."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired


class StaffForm(FlaskForm):
    user = SelectField(
        _l("Instructor"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(_l("Choose an instructor."))],
    )

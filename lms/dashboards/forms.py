"""Cohort management forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class CohortEditForm(FlaskForm):
    """A cohort's name, campaign and dates (its region is set once, when it is created)."""

    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Give the cohort a name.")), Length(max=200)]
    )
    campaign = StringField(_l("Campaign"), validators=[Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])


class CohortForm(CohortEditForm):
    region = SelectField(_l("Region"), choices=[], validate_choice=False)


class CohortCourseForm(FlaskForm):
    course = SelectField(_l("Course"), choices=[], validate_choice=False)
    due_on = DateField(_l("Due date"), validators=[Optional()])


class MembersForm(FlaskForm):
    usernames = TextAreaField(
        _l("Candidates' usernames, one per line"), validators=[DataRequired(), Length(max=200_000)]
    )


class DueOverrideForm(FlaskForm):
    """A personal due date for one candidate's course; "reset" goes back to the cohort's date."""

    due_on = DateField(_l("Personal due date"), validators=[Optional()], render_kw={"autocomplete": "off"})
    save = SubmitField(_l("Save"))
    reset = SubmitField(_l("Use the cohort's date"))

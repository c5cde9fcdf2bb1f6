"""Forms of the seminar management pages (choices are filled by the views)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

KEY_HINT = _l("Latin letters, digits and hyphens; used in addresses and in the programme file.")


class SeminarForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("Enter the title.")), Length(max=300)]
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired(message=_l("Enter a date."))])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(message=_l("Enter a date."))])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])
    online_url = URLField(
        _l("Online link"),
        validators=[Optional(), Length(max=500), URL(require_tld=False, message=_l("Enter a web address."))],
    )
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)
    summary_md = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=20000)])


class NewSeminarForm(SeminarForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(message=_l("Enter a key.")), Length(max=80)],
        description=KEY_HINT,
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )


class SessionForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(message=_l("Enter a key.")), Length(max=80)],
        description=KEY_HINT,
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("Enter the title.")), Length(max=300)]
    )
    day = SelectField(_l("Day"), choices=[], coerce=int, validate_choice=False)
    starts = TimeField(_l("Starts"), validators=[DataRequired(message=_l("Enter a time."))])
    ends = TimeField(_l("Ends"), validators=[DataRequired(message=_l("Enter a time."))])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=200)])
    online_url = URLField(
        _l("Online link"),
        validators=[Optional(), Length(max=500), URL(require_tld=False, message=_l("Enter a web address."))],
    )
    topics = StringField(
        _l("Topics"), validators=[Optional(), Length(max=500)], description=_l("Separated by commas.")
    )
    speakers = TextAreaField(
        _l("Speakers"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One a line: name — role."),
    )
    description_md = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=20000)])


class InviteForm(FlaskForm):
    target = SelectField(_l("Cohort or region"), choices=[], validate_choice=False)


class MaterialForm(FlaskForm):
    # Its own id: the session's form beside it on the page has a title field too.
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)], id="material-title")
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])


class LinkForm(FlaskForm):
    target = SelectField(_l("Course, module or item"), choices=[], validate_choice=False)
    relation = SelectField(
        _l("When"),
        choices=[
            SelectChoice("prepare", _l("Prepare before the session")),
            SelectChoice("follow_up", _l("Follow up after the session")),
            SelectChoice("survey", _l("Survey after the session")),
        ],
    )
    due_days = IntegerField(
        _l("Due (days from the session)"),
        default=0,
        validators=[NumberRange(min=-60, max=60, message=_l("From -60 to 60 days."))],
        description=_l("Negative: before the session starts; positive: after it ends."),
    )


class ConfirmForm(FlaskForm):
    """A button that changes something (delete, move): CSRF only."""

"""The attendance list's form: one per participant (prefixed by their id, so ids stay unique)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.seminars.attendance import CLIENT_ID, NOTE_MAX, STATUS_LABELS
from lms.seminars.attendance_models import STATUSES


class MarkForm(FlaskForm):
    status = RadioField(
        _l("Attendance"),
        choices=[SelectChoice(status, STATUS_LABELS[status]) for status in STATUSES],
        validators=[DataRequired(message=_l("Choose present, late, absent or excused."))],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    # Made by the page (uuid4) or by the phone's queue (crypto.randomUUID): the same mark sent
    # twice carries the same id and is applied once.
    client_id = HiddenField(validators=[Optional(), Regexp(CLIENT_ID.pattern)])


class CheckinForm(FlaskForm):
    """The participant's "Check in" button: a POST with its CSRF token, nothing else."""

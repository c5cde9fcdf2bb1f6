"""Forms of the administration area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class UserForm(FlaskForm):
    """An account's editable fields; role and region choices depend on who edits."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter the full name.")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email"), validators=[Optional(), Length(max=200)], render_kw={"autocomplete": "off"}
    )
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    region = SelectField(_l("Region"), choices=[], validate_choice=False)


class NewUserForm(UserForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter a username.")), Length(max=80)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    invite = BooleanField(_l("Send an invitation by email now"), default=True)

"""Account forms: sign-in, own profile and password, and the administrators' user forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

MAX_PASSWORD = 200


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter your username.")), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


def _new_password_fields():
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a new password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Enter the new password again.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class SetPasswordForm(FlaskForm):
    """The page a set-password link (invitation or reset) opens."""

    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()


class ForgotPasswordForm(FlaskForm):
    login = StringField(
        _l("Username or email"),
        validators=[DataRequired(message=_l("Enter your username or email.")), Length(max=200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Length(max=200)], render_kw={"autocomplete": "name"})
    email = EmailField(
        _l("Email"), validators=[Optional(), Length(max=200)], render_kw={"autocomplete": "email"}
    )
    locale = SelectField(_l("Language"), choices=[], validate_choice=False)
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)
    low_vision = BooleanField(_l("Low-vision version: large type, high contrast, one column"))
    email_notifications = BooleanField(_l("Email me about notifications (at most one digest a day)"))

"""The admins' revocation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for revocation"),
        validators=[DataRequired(message=_l("Say why the certificate is revoked.")), Length(max=2000)],
    )

"""Forms of the course structure page: new item, module and course; move, order, rename; moving
an item to another module; images."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

SEPARATOR = "/"  # joins names in hidden fields: no module folder or item file name holds one

KIND_LABELS = {
    "lesson": _l("Lesson"),
    "quiz": _l("Quiz"),
    "scenario": _l("Conversation scenario"),
    "assignment": _l("Field assignment"),
    "survey": _l("Survey"),
}

_KEY_HINT = _l("Optional: made from the title when left empty.")


def joined(names: list[str]) -> str:
    return SEPARATOR.join(names)


def split(value: str | None) -> list[str]:
    return [name for name in (value or "").split(SEPARATOR) if name]


class NewItemForm(FlaskForm):
    seen = HiddenField()
    kind = SelectField(_l("Kind"), choices=[SelectChoice(key, label) for key, label in KIND_LABELS.items()])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    key = StringField(_l("Id"), validators=[Optional(), Length(max=80)], description=_KEY_HINT)


class NewModuleForm(FlaskForm):
    seen = HiddenField()
    title = StringField(_l("Module title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    key = StringField(_l("Id"), validators=[Optional(), Length(max=80)], description=_KEY_HINT)


class NewCourseForm(FlaskForm):
    title = StringField(_l("Course title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    key = StringField(_l("Id"), validators=[Optional(), Length(max=80)], description=_KEY_HINT)
    folder = StringField(
        _l("Folder"),
        validators=[Optional(), Length(max=80)],
        description=_l("Optional: the id when left empty."),
    )


class MoveForm(FlaskForm):
    module = HiddenField()
    name = HiddenField(validators=[DataRequired()])
    seen = HiddenField(validators=[DataRequired()])


class MoveItemForm(FlaskForm):
    """Move an item to the end of another module; the view fills `target`'s choices."""

    module = HiddenField(validators=[DataRequired()])
    name = HiddenField(validators=[DataRequired()])
    seen = HiddenField(validators=[DataRequired()])
    # The service refuses an unknown or same module with a message of its own (never WTForms').
    target = SelectField(_l("Move to module"), choices=[], validate_choice=False)


class OrderForm(FlaskForm):
    module = HiddenField()
    seen = HiddenField(validators=[DataRequired()])
    order = HiddenField(validators=[DataRequired()])


class RenameForm(FlaskForm):
    rel = HiddenField(validators=[DataRequired()])
    title = StringField(_l("New title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])


class ImageForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF or WebP)"))
    alt = StringField(
        _l("Description for people who cannot see it"),
        validators=[Length(max=300)],
        description=_l("Becomes the image's alt text; describe what it shows."),
    )

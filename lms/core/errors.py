"""Domain errors raised by services and mapped onto forms by views."""

from __future__ import annotations


class ValidationError(Exception):
    """A service refused input; `field` names the form field the message belongs to."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def apply_to_form(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the matching WTForms field (or the form as a whole)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)

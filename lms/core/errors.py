"""Domain errors raised by services and mapped onto forms by views."""

from __future__ import annotations


class ValidationError(Exception):
    """A service refused input.

    `code` is a short stable string saying why ("stale", "username_taken"): views branch on it,
    never on the wording. `message` says it to the person, in their language (a lazy string).
    `field` names the form field the message belongs to; None puts it on the form as a whole.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"ValidationError({self.code!r}, field={self.field!r})"


def apply_to_form(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the matching WTForms field (or the form as a whole)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)

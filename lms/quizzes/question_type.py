"""The base every question type in types.py extends, and the reading of a submitted form they share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from lms.quizzes.lines import AnswerLine, ParsedAnswer, Report

Form = Mapping[str, Any]  # field name -> list of submitted values (a str is taken as one value)


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; it is translated where it is shown."""
    return message


def values_of(form: Form, name: str) -> list[str]:
    """Submitted values of one field, whatever shape the form mapping has."""
    getlist = getattr(form, "getlist", None)  # a werkzeug MultiDict keeps repeated fields there
    raw = getlist(name) if callable(getlist) else form.get(name)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw.strip()]
    return [value.strip() for value in raw if isinstance(value, str)]


def option_keys(question: dict) -> list[str]:
    """Keys of a question's options in the order the payload has them."""
    return [option["key"] for option in question.get("options", [])]


class QuestionType:
    """Base of the question types; subclasses set the class attributes and the four methods."""

    name: ClassVar[str]
    label: ClassVar[str]  # what people call the type, in English; translate with gettext to show
    line_kind: ClassVar[str]

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        """Read the answer lines of one question; `heading` is the file line of its `##`."""
        raise NotImplementedError

    def coerce(self, question: dict, form: Form) -> Any:
        """The canonical JSON response in a submitted form, or None when unanswered."""
        raise NotImplementedError

    def grade(self, question: dict, response: Any) -> float:
        """Credit for a response, from 0 to 1."""
        raise NotImplementedError

    def correct_response(self, question: dict) -> Any:
        """A response that earns full credit (the first accepted one where several are)."""
        raise NotImplementedError

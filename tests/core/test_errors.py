"""ValidationError carries a stable code for views to branch on, and a message for people."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField

from lms.core.errors import ValidationError, apply_to_form

LMS = Path(__file__).resolve().parent.parent.parent / "lms"
CODE = re.compile(r"[a-z][a-z_]*[a-z]")


def _calls(name: str):
    for path in sorted(LMS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
                yield f"{path.relative_to(LMS)}:{node.lineno}", node


def test_every_validation_error_in_lms_has_a_code_a_message_and_a_named_field():
    calls = list(_calls("ValidationError"))
    assert len(calls) > 50  # the walk finds the raisers
    for where, call in calls:
        assert len(call.args) == 2, f"{where}: ValidationError(code, message, field=...)"
        code = call.args[0]
        if isinstance(code, ast.Constant):
            assert isinstance(code.value, str) and CODE.fullmatch(code.value), f"{where}: code {code.value!r}"
        else:  # a code chosen from a few, or carried over from a lower-level refusal
            assert isinstance(code, ast.Name | ast.Attribute), where
        message = call.args[1]
        assert not (isinstance(message, ast.Constant) and CODE.fullmatch(str(message.value))), (
            f"{where}: the message {message.value!r} looks like a code"
        )
        assert {keyword.arg for keyword in call.keywords} <= {"field"}, where


def test_no_view_compares_an_error_s_message():
    """Views branch on `error.code`; wording changes with the language and the copy."""
    for path in sorted(LMS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                compared = [side.attr for side in sides if isinstance(side, ast.Attribute)]
                texts = [side for side in sides if isinstance(getattr(side, "value", None), str)]
                assert not ("message" in compared and texts), f"{path.relative_to(LMS)}:{node.lineno}"


class _Form(FlaskForm):
    name = StringField()


@pytest.fixture
def form(app):
    with app.test_request_context():
        yield _Form(meta={"csrf": False})


def test_apply_to_form_puts_the_message_on_its_field_or_on_the_form(form):
    apply_to_form(form, ValidationError("name_taken", "Taken.", field="name"))
    apply_to_form(form, ValidationError("stale", "Changed in another tab."))
    apply_to_form(form, ValidationError("odd", "No such field.", field="nowhere"))
    assert form.name.errors == ["Taken."]
    assert form.form_errors == ["Changed in another tab.", "No such field."]


def test_the_code_and_the_message_are_separate():
    error = ValidationError("username_taken", "The username anna is taken.", field="username")
    assert (error.code, error.field) == ("username_taken", "username")
    assert error.message == str(error) == "The username anna is taken."

"""What a quiz's front matter may contain, and the policy a quiz gets for keys it leaves out."""

from __future__ import annotations

from typing import Any

from lms.content.schema import Field, boolean, choice, integer

QUIZ_FIELDS: dict[str, Field] = {
    "pass_mark": Field(integer(0, 100)),
    "attempts": Field(integer(0)),
    "time_limit": Field(integer(1)),
    "shuffle_questions": Field(boolean),
    "shuffle_options": Field(boolean),
    "draw": Field(integer(1)),
    "show_answers": Field(choice("always", "after_pass", "never")),
    "required": Field(boolean),
    "feedback": Field(choice("optional", "required")),
}
# The policy a quiz gets for every key its front matter leaves out.
DEFAULT_PASS_MARK = 70  # percent
QUIZ_DEFAULTS: dict[str, Any] = {
    "pass_mark": DEFAULT_PASS_MARK,
    "attempts": 0,
    "time_limit": None,
    "shuffle_questions": False,
    "shuffle_options": False,
    "draw": None,
    "show_answers": "always",
    "required": True,
    "feedback": "optional",
}

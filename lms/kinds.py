"""Every item kind this LMS knows, registered into content's registry: the one place to add one.

Imported by the `lms` package itself, so the Flask-free loader (`flask lms check`, tests, editors)
knows every kind without an app. A new kind is an `ItemKind` in its own package plus a line here.
"""

from __future__ import annotations

from lms.content.lessons import LESSON
from lms.content.registry import register
from lms.exercises.kinds import ASSIGNMENT, SCENARIO
from lms.quizzes.kind import QUIZ
from lms.surveys.kind import SURVEY

KINDS = (LESSON, QUIZ, SCENARIO, ASSIGNMENT, SURVEY)

for kind in KINDS:
    register(kind)

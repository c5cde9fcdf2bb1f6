"""The `quiz` item kind: questions parsed from the body, versions pinned after each import."""

from __future__ import annotations

from lms.content.models import Lesson
from lms.content.registry import ItemKind, no_checks
from lms.quizzes.fields import QUIZ_FIELDS
from lms.quizzes.format import parse_quiz
from lms.quizzes.regrade import flag_changed_keys
from lms.quizzes.reports import best_percents
from lms.quizzes.services import record_question_versions


def after_quiz_import(quizzes: list[Lesson]) -> None:
    """Pin the imported questions, then flag those whose answer key changed under earlier attempts."""
    record_question_versions(quizzes)
    flag_changed_keys(quizzes)


QUIZ = ItemKind(
    name="quiz",
    fields=QUIZ_FIELDS,
    body=parse_quiz,
    lint=no_checks,  # parse_quiz reports every problem of a quiz body itself
    page="quizzes.overview",
    page_key="quiz_key",
    after_import=after_quiz_import,
    best_percents=best_percents,
)

"""What an attempt's result may show, per the quiz's `show_answers` policy, each answer against the
version of its question that graded it. Apart because it only reads, after grading is done."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lms.extensions import db
from lms.quizzes.models import Attempt, QuestionVersion
from lms.quizzes.versions import attempt_questions


@dataclass
class ResultView:
    """What the result page may show, per the quiz's `show_answers` policy."""

    attempt: Attempt
    show_answers: bool
    items: list[dict]


def result_view(attempt: Attempt) -> ResultView:
    rule = attempt.policy.get("show_answers", "always")
    show = rule == "always" or (rule == "after_pass" and bool(attempt.passed))
    responses = {answer.question_key: answer for answer in attempt.answers}
    # A regraded answer is shown against the key that graded it, so the marks match the score.
    graded_ids = [answer.graded_version_id for answer in attempt.answers if answer.graded_version_id]
    graded = (
        {
            row.id: row.data
            for row in db.session.scalars(
                sa.select(QuestionVersion).where(QuestionVersion.id.in_(graded_ids))
            )
        }
        if graded_ids
        else {}
    )
    items = []
    for item, question in attempt_questions(attempt):
        answer = responses.get(item["key"])
        if answer is not None and answer.graded_version_id in graded:
            question = graded[answer.graded_version_id]
        items.append(
            {
                "layout": item,
                "question": question,
                "response": answer.response if answer else None,
                "credit": answer.credit if answer else 0.0,
            }
        )
    return ResultView(attempt, show, items)

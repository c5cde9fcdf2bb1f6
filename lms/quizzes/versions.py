"""Question versions: every question pinned at import as an immutable row, and the questions an
attempt served, read through the worker's cache of those rows. Apart because starting, saving,
grading and the result page all read an attempt's questions through the one cache here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from lms.content.models import Lesson
from lms.extensions import db
from lms.quizzes.models import Attempt, QuestionVersion


def record_question_versions(quizzes: list[Lesson]) -> int:
    """Pin every question of these quizzes as an immutable version; returns how many were new."""
    if not quizzes:
        return 0
    known = set(
        db.session.execute(
            sa.select(
                QuestionVersion.quiz_id, QuestionVersion.question_key, QuestionVersion.content_hash
            ).where(QuestionVersion.quiz_id.in_([quiz.id for quiz in quizzes]))
        ).all()
    )
    added = 0
    for quiz in quizzes:
        for question in (quiz.payload or {}).get("questions", []):
            if (quiz.id, question["key"], question["hash"]) in known:
                continue
            db.session.add(
                QuestionVersion(
                    quiz_id=quiz.id,
                    question_key=question["key"],
                    content_hash=question["hash"],
                    kind=question["type"],
                    data=question,
                )
            )
            added += 1
    db.session.flush()
    return added


# Built once: the served questions' data, as plain values (versions never change: nothing to track);
# read by a submit for versions its worker has not cached, and by the attempt page's review.
VERSION_DATA = sa.select(QuestionVersion.id, QuestionVersion.data).where(
    QuestionVersion.id.in_(sa.bindparam("ids", expanding=True))
)
# Question versions per worker, by id: a version row never changes and is never deleted (attempts
# pin it), so a submit need not read the served questions again. Bounded like the fragments; a
# database recreated under a running server needs a restart (its ids would start over).
MAX_CACHED_VERSIONS = 20_000


def _cached_versions() -> dict[int, dict]:
    return current_app.extensions.setdefault("quiz_question_versions", {})


def attempt_questions(attempt: Attempt) -> list[tuple[dict, dict]]:
    """(layout item, question data as served) pairs in the attempt's order.

    The data comes from the worker's cache of versions (read-only: shared between requests);
    only versions it has not seen yet are read, in one statement.
    """
    known = _cached_versions()
    missing = [item["version_id"] for item in attempt.layout if item["version_id"] not in known]
    if missing:
        if len(known) + len(missing) > MAX_CACHED_VERSIONS:
            known.clear()
        known.update(db.session.execute(VERSION_DATA, {"ids": missing}).all())
    return [(item, known[item["version_id"]]) for item in attempt.layout]


def saved_responses(attempt: Attempt) -> dict[str, object]:
    return {answer.question_key: answer.response for answer in attempt.answers}

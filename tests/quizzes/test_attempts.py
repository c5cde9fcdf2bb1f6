"""Attempts through the service layer: limits, idempotence, deadlines, versions, completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.quizzes import services
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion
from tests.quizzes.conftest import full_form


def test_import_pins_a_version_per_question(quiz):
    versions = db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.quiz_id == quiz.id)).all()
    assert {v.question_key for v in versions} == {q["key"] for q in quiz.payload["questions"]}
    assert {q["type"] for q in quiz.payload["questions"]} >= {
        "single",
        "multiple",
        "truefalse",
        "short",
        "numeric",
        "ordering",
        "matching",
    }


def test_start_twice_gives_the_same_attempt(quiz, make_user):
    user = make_user("anna")
    first = services.start_attempt(user, quiz)
    second = services.start_attempt(user, quiz)
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_attempt_limit(quiz, make_user):
    user = make_user("anna")
    allowed = quiz.payload["policy"]["attempts"]
    for _ in range(allowed):
        attempt = services.start_attempt(user, quiz)
        services.submit_attempt(attempt, {})
    db.session.commit()
    assert services.attempts_left(user, quiz) == 0
    with pytest.raises(ValidationError):
        services.start_attempt(user, quiz)


def test_all_right_passes_and_completes_the_item(quiz, make_user):
    user = make_user("anna")
    attempt = services.start_attempt(user, quiz)
    services.submit_attempt(attempt, full_form(quiz, attempt, right=True))
    db.session.commit()
    assert attempt.percent == 100 and attempt.passed
    progress = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.lesson_id == quiz.id))
    assert progress is not None and progress.completed_at is not None


def test_all_wrong_fails_and_does_not_complete(quiz, make_user):
    user = make_user("anna")
    attempt = services.start_attempt(user, quiz)
    services.submit_attempt(attempt, full_form(quiz, attempt, right=False))
    db.session.commit()
    assert attempt.percent == 0 and attempt.passed is False
    progress = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.lesson_id == quiz.id))
    assert progress is None or progress.completed_at is None


def test_submit_is_idempotent(quiz, make_user):
    user = make_user("anna")
    attempt = services.start_attempt(user, quiz)
    services.submit_attempt(attempt, full_form(quiz, attempt, right=True))
    first_time = attempt.submitted_at
    services.submit_attempt(
        attempt, full_form(quiz, attempt, right=False)
    )  # a late duplicate changes nothing
    db.session.commit()
    assert attempt.submitted_at == first_time and attempt.percent == 100
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_late_submission_is_closed_at_the_deadline_with_saved_answers(quiz, make_user):
    user = make_user("anna")
    start = utcnow() - timedelta(minutes=30)
    attempt = services.start_attempt(user, quiz, now=start)
    assert attempt.deadline_at is not None
    keys = [q["key"] for q in quiz.payload["questions"]]
    services.save_answers(
        attempt, full_form(quiz, attempt, right=True, only={keys[0]}), now=start + timedelta(minutes=1)
    )
    services.submit_attempt(
        attempt, full_form(quiz, attempt, right=True), now=attempt.deadline_at + timedelta(minutes=5)
    )
    db.session.commit()
    assert attempt.closed_by_deadline and attempt.submitted_at == attempt.deadline_at
    credits = {a.question_key: a.credit for a in attempt.answers}
    assert credits[keys[0]] == 1
    assert all(credits[key] == 0 for key in keys[1:])


def test_autosave_after_the_deadline_is_refused(quiz, make_user):
    user = make_user("anna")
    start = utcnow() - timedelta(hours=1)
    attempt = services.start_attempt(user, quiz, now=start)
    with pytest.raises(services.AttemptClosed):
        services.save_answers(attempt, full_form(quiz, attempt), now=utcnow())
    assert not attempt.is_open


def test_editing_a_quiz_keeps_old_attempts_as_they_were(quiz, make_user, courses_dir):
    from lms.content.sync import sync_tree

    user = make_user("anna")
    attempt = services.start_attempt(user, quiz)
    services.submit_attempt(attempt, full_form(quiz, attempt, right=True))
    db.session.commit()
    old_prompt = quiz.payload["questions"][0]["prompt_html"]
    source = next(p for p in courses_dir.rglob("*.md") if "\nid: q-all\n" in p.read_text("utf-8"))
    text = source.read_text("utf-8")
    first_key = quiz.payload["questions"][0]["key"]
    marker = text.index(f"## {first_key} [")
    line_end = text.index("\n", marker)
    source.write_text(text[: line_end + 1] + "Изменённая формулировка. " + text[line_end + 1 :], "utf-8")
    sync_tree(courses_dir)
    db.session.commit()
    db.session.refresh(quiz)
    assert quiz.payload["questions"][0]["prompt_html"] != old_prompt
    view = services.result_view(attempt)
    assert (
        view.items[[i["layout"]["key"] for i in view.items].index(first_key)]["question"]["prompt_html"]
        == old_prompt
    )
    assert attempt.percent == 100
    versions = db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.question_key == first_key)
    ).all()
    assert len(versions) == 2


def test_answers_are_one_row_per_question(quiz, make_user):
    user = make_user("anna")
    attempt = services.start_attempt(user, quiz)
    for _ in range(3):
        services.save_answers(attempt, full_form(quiz, attempt))
    db.session.commit()
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
    )
    assert count == len(attempt.layout)

"""One candidate's record for coordinators: enrolments, every attempt and submission, a timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.core import formats
from lms.exercises import reports as exercise_reports
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.quizzes import reports as quiz_reports

TIMELINE_LIMIT = 200


@dataclass
class Event:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    link: tuple[str, dict] | None = None


@dataclass
class CandidateRecord:
    user: User
    enrolments: list[Enrolment]
    # As lms.quizzes.reports and lms.exercises.reports give them; the page reads their attributes.
    attempts: list[Any]
    playthroughs: list[Any]
    submissions: list[Any]
    timeline: list[Event]


def timeline_labels() -> dict[str, str]:
    """Event kinds in the reader's language."""
    return {
        "enrolled": _("enrolled"),
        "course_completed": _("course completed"),
        "opened": _("opened"),
        "completed": _("completed"),
        "quiz": _("quiz"),
        "scenario": _("conversation"),
        "submission_submitted": _("assignment submitted"),
        "submission_resubmitted": _("assignment resubmitted"),
        "submission_claimed": _("taken for review"),
        "submission_taken_over": _("review taken over"),
        "submission_returned": _("returned for rework"),
        "submission_accepted": _("assignment accepted"),
    }


def candidate_record(user: User) -> CandidateRecord:
    enrolments = list(db.session.scalars(sa.select(Enrolment).where(Enrolment.user_id == user.id)))
    attempts = quiz_reports.candidate_attempts(user.id)
    playthroughs = exercise_reports.candidate_playthroughs(user.id)
    submissions = exercise_reports.candidate_submissions(user.id)
    events: list[Event] = []
    for enrolment in enrolments:
        events.append(Event(enrolment.enrolled_at, "enrolled", enrolment.course.title))
        if enrolment.completed_at:
            events.append(Event(enrolment.completed_at, "course_completed", enrolment.course.title))
    progress = db.session.execute(
        sa.select(LessonProgress, Lesson)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id)
        .order_by(LessonProgress.first_viewed_at.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    for row, lesson in progress:
        events.append(Event(row.first_viewed_at, "opened", lesson.title))
        if row.completed_at:
            events.append(Event(row.completed_at, "completed", lesson.title))
    for attempt in attempts:
        if attempt.submitted_at:
            events.append(
                Event(
                    attempt.submitted_at,
                    "quiz",
                    attempt.quiz.title,
                    formats.percent(attempt.percent, 0) if attempt.percent is not None else "",
                )
            )
    for playthrough in playthroughs:
        if playthrough.finished_at:
            events.append(
                Event(
                    playthrough.finished_at,
                    "scenario",
                    playthrough.item.title,
                    link=(
                        "dashboards.playthrough",
                        {"user_id": user.id, "playthrough_id": playthrough.id},
                    ),
                )
            )
    for event in exercise_reports.review_history([submission.id for submission in submissions]):
        events.append(
            Event(
                event.created_at,
                f"submission_{event.action}",
                event.submission.item.title,
                str(event.points) if event.points is not None else "",
                ("dashboards.submission", {"user_id": user.id, "submission_id": event.submission_id}),
            )
        )
    events.sort(key=lambda event: event.at, reverse=True)
    return CandidateRecord(user, enrolments, attempts, playthroughs, submissions, events[:TIMELINE_LIMIT])

"""Answering a survey: reading the form against the questions, once per person, never traceable
back to the person when the survey is anonymous."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.core.db import insert_or_ignore
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import services as progress
from lms.surveys.format import TEXT_MAX
from lms.surveys.models import SurveyParticipation, SurveyResponse

FIELD_PREFIX = "q-"  # form field of a question: q-<question key>


class AnswersInvalid(Exception):
    """Some required question is unanswered or an answer is not one of the options.

    `errors` maps question keys to the message shown under that question; `answers` holds what
    was given, so the form comes back filled in.
    """

    def __init__(self, errors: dict[str, str], answers: dict[str, Any]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors
        self.answers = answers


def questions(survey: Lesson) -> list[dict[str, Any]]:
    """The survey's questions as rendered at import."""
    return list((survey.payload or {}).get("questions", []))


def is_anonymous(survey: Lesson) -> bool:
    return bool((survey.payload or {}).get("anonymous", False))


def has_answered(user: User, survey: Lesson) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.literal(1)).where(
                SurveyParticipation.survey_id == survey.id, SurveyParticipation.user_id == user.id
            )
        )
        is not None
    )


def read_answers(survey: Lesson, form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The answers of a submitted form, checked against the questions; raises AnswersInvalid.

    Unknown fields are ignored; an option or scale point that is not in the question is refused
    (a forged or stale form), as is a required question left unanswered.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions(survey):
        key, kind = question["key"], question["type"]
        given = [value.strip() for value in form.get(FIELD_PREFIX + key, []) if value.strip()]
        allowed = {option["key"] for option in question.get("options", [])}
        if kind == "text":
            text = "\n".join(given).replace("\r\n", "\n")
            if len(text) > TEXT_MAX:
                errors[key] = str(_l("At most %(count)s characters, please.", count=TEXT_MAX))
            if text:
                answers[key] = text
        elif kind == "multiple":
            chosen = list(dict.fromkeys(given))
            if any(value not in allowed for value in chosen):
                errors[key] = str(_l("Choose from the options given."))
            elif chosen:
                answers[key] = chosen
        else:  # scale, single: one value
            if len(set(given)) > 1 or (given and given[0] not in allowed):
                errors[key] = str(_l("Choose one of the options given."))
            elif given:
                answers[key] = int(given[0]) if kind == "scale" else given[0]
        if key not in answers and key not in errors and question.get("required"):
            errors[key] = str(_l("Please answer this question."))
    if errors:
        raise AnswersInvalid(errors, answers)
    return answers


def school_today() -> date:
    """Today in the school's time zone: the only time a response keeps."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Moscow"))
    return utcnow().astimezone(zone).date()


def submit_response(user: User, survey: Lesson, answers: dict[str, Any]) -> bool:
    """Store one person's answers and count the item done. False when they had answered already.

    The participation row goes first and is the lock: of two tabs or a double click only one
    inserts it, and only that one stores answers. An anonymous response is written with a random
    key and no user, and nothing of the participation is copied into it.
    """
    if not insert_or_ignore(SurveyParticipation, {"survey_id": survey.id, "user_id": user.id}, None):
        return False
    anonymous = is_anonymous(survey)
    db.session.add(
        SurveyResponse(
            survey_id=survey.id,
            user_id=None if anonymous else user.id,
            region_code=user.region_code,
            answered_on=school_today(),
            answers=answers,
        )
    )
    db.session.flush()
    progress.complete_lesson(user, survey)
    return True

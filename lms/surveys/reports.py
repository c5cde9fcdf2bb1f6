"""Survey results: per question the distribution of answers and the free-text answers, for one
region or all; an anonymous survey's group of fewer than MIN_GROUP responses is never shown."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.extensions import db
from lms.surveys.models import SurveyResponse
from lms.surveys.services import is_anonymous, questions

# Fewer anonymous responses than this in one group (a region, or the whole survey) could point at
# the people who gave them, so their answers are not shown or exported.
MIN_GROUP = 5
_TAG = re.compile(r"<[^>]+>")


@dataclass
class OptionCount:
    key: str
    html: str
    count: int
    percent: float  # of the responses that answered the question


@dataclass
class QuestionResult:
    question: dict[str, Any]
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    mean: float | None = None  # scales only
    texts: list[tuple[str, str]] = field(default_factory=list)  # (who, text); who is "" when anonymous


@dataclass
class SurveyResults:
    anonymous: bool
    responses: int
    withheld: bool  # too few anonymous responses to show
    questions: list[QuestionResult]


def _responses(survey: Lesson, region_code: str | None) -> sa.Select:
    query = sa.select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    if region_code is not None:
        query = query.where(SurveyResponse.region_code == region_code)
    return query.order_by(SurveyResponse.id)  # a random key: no order of answering shows


def response_count(survey: Lesson, region_code: str | None) -> int:
    query = _responses(survey, region_code).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _names(rows: list[SurveyResponse]) -> dict[int, str]:
    ids = {row.user_id for row in rows if row.user_id is not None}
    if not ids:
        return {}
    users = db.session.execute(sa.select(User.id, User.full_name, User.username).where(User.id.in_(ids)))
    return {user.id: user.full_name or user.username for user in users}


def survey_results(survey: Lesson, region_code: str | None) -> SurveyResults:
    """The results of the responses from `region_code` (None: every region)."""
    anonymous = is_anonymous(survey)
    rows = list(db.session.scalars(_responses(survey, region_code)))
    withheld = anonymous and len(rows) < MIN_GROUP
    if withheld:
        return SurveyResults(anonymous, len(rows), True, [])
    names = {} if anonymous else _names(rows)
    results = []
    for question in questions(survey):
        key = question["key"]
        given = [row.answers[key] for row in rows if key in (row.answers or {})]
        result = QuestionResult(question, len(given))
        if question["type"] == "text":
            result.texts = [
                ("" if anonymous else names.get(row.user_id or 0, ""), row.answers[key])
                for row in rows
                if key in (row.answers or {})
            ]
        else:
            counts: Counter[str] = Counter()
            for value in given:
                counts.update(str(item) for item in (value if isinstance(value, list) else [value]))
            result.options = [
                OptionCount(
                    option["key"],
                    option["html"],
                    counts[option["key"]],
                    round(100 * counts[option["key"]] / len(given), 1) if given else 0.0,
                )
                for option in question["options"]
            ]
            if question["type"] == "scale" and given:
                result.mean = round(sum(int(value) for value in given) / len(given), 2)
        results.append(result)
    return SurveyResults(anonymous, len(rows), False, results)


def export_rows(survey: Lesson, region_code: str | None) -> Iterator[dict[str, Any]]:
    """One row per response: the region, the day and every answer (named surveys: the name).

    An anonymous survey exports nothing for a group under MIN_GROUP, and leaves the region blank
    on rows from a region with fewer than MIN_GROUP responses in the file.
    """
    anonymous = is_anonymous(survey)
    rows = list(db.session.scalars(_responses(survey, region_code)))
    if anonymous and len(rows) < MIN_GROUP:
        return
    per_region = Counter(row.region_code for row in rows)
    names = {} if anonymous else _names(rows)
    labels = {
        question["key"]: {option["key"]: option["html"] for option in question.get("options", [])}
        for question in questions(survey)
    }
    for row in rows:
        shown_region = row.region_code if not anonymous or per_region[row.region_code] >= MIN_GROUP else ""
        values: dict[str, Any] = {"region": shown_region or "", "answered_on": row.answered_on}
        if not anonymous:
            values["name"] = names.get(row.user_id or 0, "")
        for question in questions(survey):
            answer = (row.answers or {}).get(question["key"])
            values[f"q:{question['key']}"] = _answer_text(question, answer, labels[question["key"]])
        yield values


def _answer_text(question: dict[str, Any], answer: Any, labels: dict[str, str]) -> str | int | None:
    if answer is None:
        return None
    if question["type"] == "scale":
        return int(answer)
    if question["type"] == "text":
        return str(answer)
    chosen = answer if isinstance(answer, list) else [answer]
    return "; ".join(_plain(labels.get(str(item), str(item))) for item in chosen)


def column_title(number: int, question: dict[str, Any]) -> str:
    """A question as a spreadsheet header: its number and the start of its prompt, as plain text."""
    prompt = " ".join(_plain(question.get("prompt_html", "")).split())
    return f"{number}. {prompt[:77] + '...' if len(prompt) > 80 else prompt}".strip()


def _plain(markup: str) -> str:
    """An option's label without its inline markup, for a spreadsheet cell."""
    return html.unescape(_TAG.sub("", markup))

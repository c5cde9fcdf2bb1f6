"""What the attempt and result pages read per request: the attempt with its quiz, course, attempts
used and saved answers in one statement built once at import (as the start page in `pages.py`),
and the result's entries. Apart from the start page because the two pages share this one read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa
from markupsafe import Markup

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content.models import Course, Lesson
from lms.core.db import json_rows
from lms.extensions import db
from lms.progress import services as progress
from lms.quizzes import services
from lms.quizzes.answer_markup import Served, with_answer
from lms.quizzes.display import question_for_display
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion
from lms.quizzes.versions import VERSION_DATA


def deadline_passed(deadline_at: datetime | None, submitted_at: datetime | None, now: datetime) -> bool:
    """An open attempt whose time ran out (the grace included): the page must close it first."""
    return submitted_at is None and deadline_at is not None and now > deadline_at + services.DEADLINE_GRACE


@dataclass
class AttemptPage:
    """An attempt as its pages show it, read with the candidate's saved answers."""

    id: int
    number: int
    quiz_id: int
    quiz_hash: str
    policy: dict
    layout: list
    deadline_at: datetime | None
    submitted_at: datetime | None
    closed_by_deadline: bool
    score: float | None
    max_score: float
    percent: float | None
    passed: bool | None
    quiz_key: str
    quiz_title: str
    course_key: str
    course_title: str
    content_stamp: tuple
    attempts_used: int
    allowed_attempts: int  # the quiz's policy now, as services.attempts_left reads it; 0: unlimited
    answers: dict[str, tuple] = field(default_factory=dict)  # key -> (kind, response, credit, graded)

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None

    def expired(self, now: datetime) -> bool:
        return deadline_passed(self.deadline_at, self.submitted_at, now)

    @property
    def served(self) -> list[Served]:
        served = []
        for number, item in enumerate(self.layout, start=1):
            kind, response = self.answers.get(item["key"], (None, None, None, None))[:2]
            served.append(Served(number, item, kind, response))
        return served

    @property
    def attempts_left(self) -> int | None:
        """None means unlimited (as services.attempts_left)."""
        if not self.allowed_attempts:
            return None
        return max(0, self.allowed_attempts - self.attempts_used)

    @property
    def served_key(self) -> tuple:
        """What the questions' markup shows of the attempt: each question's version and order of
        options, in the served order (the same for every attempt of an unshuffled quiz)."""
        return tuple((item["version_id"], tuple(item.get("options") or ())) for item in self.layout)

    def with_answers(self, html: str) -> Markup:
        """The questions' markup, rendered without answers, with this candidate's filled in."""
        for served in self.served:
            html = with_answer(html, served)
        return Markup(html)  # nosec B704  # cached question markup with escaped answers filled in

    @property
    def show_answers(self) -> bool:
        rule = self.policy.get("show_answers", "always")
        return rule == "always" or (rule == "after_pass" and bool(self.passed))

    @cached_property
    def questions(self) -> dict[int, dict]:
        """Every question version the attempt served or was regraded by, as data: read only when
        a question's markup is not cached, or when the result shows the answers."""
        ids = {item["version_id"] for item in self.layout}
        ids |= {graded for *_, graded in self.answers.values() if graded}
        return {id_: data for id_, data in db.session.execute(VERSION_DATA, {"ids": sorted(ids)})}

    @cached_property
    def quiz(self) -> Lesson:
        """The quiz with its course, read only when a cached part has to be rendered."""
        return db.session.get_one(Lesson, self.quiz_id)

    @cached_property
    def next_item(self) -> progress.OutlineItem | None:
        """The course's item after the quiz, for the result's "Next" link."""
        return progress.neighbours(self.quiz.course, self.quiz)[1]

    def for_display(self, served: Served) -> dict:
        """A question as the attempt page shows it: prompt and choices, never its answer key."""
        return question_for_display(served.item, self.questions[served.version_id])

    def review(self) -> list[Review]:
        """The result page's entries, as services.result_view builds them: a regraded answer is
        shown against the version that graded it. Each carries the key of what it shows, so the
        page can cache its markup; the question's data is read only when one has to be drawn."""
        entries = []
        for number, item in enumerate(self.layout, start=1):
            _kind, response, credit, graded = self.answers.get(item["key"], (None, None, None, None))
            version_id = graded or item["version_id"]
            credit = credit or 0.0
            entries.append(
                Review(
                    page=self,
                    layout=item,
                    version_id=version_id,
                    response=response,
                    credit=credit,
                    key=(
                        self.quiz_id,
                        self.quiz_hash,
                        version_id,
                        tuple(item.get("options") or ()),
                        number,
                        json.dumps(response, sort_keys=True),
                        credit,
                    ),
                )
            )
        return entries


@dataclass(frozen=True)
class Review:
    """One answered question on the result page. `key` names everything its markup shows: the
    quiz's version, the question's version and served options, its number, the answer and its
    credit; the same answer to the same question draws the same markup for everybody."""

    page: AttemptPage
    layout: dict
    version_id: int
    response: object
    credit: float
    key: tuple

    @property
    def question(self) -> dict:
        return self.page.questions[self.version_id]


_used = sa.orm.aliased(Attempt)

# The user, their attempt (another candidate's attempt is simply not found), its quiz and course,
# how many attempts they used on the quiz, and its saved answers with their questions' types.
_ATTEMPT_PAGE = (
    session_user_select(
        Attempt.id.label("attempt_id"),
        Attempt.number,
        Attempt.quiz_id,
        Attempt.quiz_hash,
        Attempt.policy,
        Attempt.layout,
        Attempt.deadline_at,
        Attempt.submitted_at,
        Attempt.closed_by_deadline,
        Attempt.score,
        Attempt.max_score,
        Attempt.percent,
        Attempt.passed,
        Lesson.key.label("quiz_key"),
        Lesson.title.label("quiz_title"),
        Lesson.payload[("policy", "attempts")].as_integer().label("allowed_attempts"),
        Lesson.render_key,
        Lesson.updated_at,
        Course.key.label("course_key"),
        Course.title.label("course_title"),
        Course.updated_at.label("course_updated_at"),
        sa.select(sa.func.count())
        .select_from(_used)
        .where(_used.user_id == Attempt.user_id, _used.quiz_id == Attempt.quiz_id)
        .scalar_subquery()
        .label("attempts_used"),
        sa.select(
            json_rows(
                AttemptAnswer.question_key,
                sa.cast(AttemptAnswer.response, sa.Text),
                AttemptAnswer.credit,
                AttemptAnswer.graded_version_id,
                QuestionVersion.kind,
            )
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)
        .where(AttemptAnswer.attempt_id == Attempt.id)
        .scalar_subquery()
        .label("answers"),
    )
    .outerjoin(Attempt, sa.and_(Attempt.id == sa.bindparam("attempt_id"), Attempt.user_id == User.id))
    .outerjoin(Lesson, Lesson.id == Attempt.quiz_id)
    .outerjoin(Course, Course.id == Lesson.course_id)
)


def attempt_page(session_token: str | None, attempt_id: int) -> tuple[User | None, AttemptPage | None]:
    """The attempt and result pages' one statement. (None, None) when nobody is signed in,
    (user, None) when the user has no such attempt (whoever else may have it)."""
    if session_token is None:
        return None, None
    first = db.session.execute(
        _ATTEMPT_PAGE, {**session_params(session_token), "attempt_id": attempt_id}
    ).first()
    user = accept_session_user(
        first.User if first else None, session_token, first.session_seen_at if first else None
    )
    if user is None or first.attempt_id is None:
        return user, None
    return user, AttemptPage(
        id=first.attempt_id,
        number=first.number,
        quiz_id=first.quiz_id,
        quiz_hash=first.quiz_hash,
        policy=first.policy or {},
        layout=first.layout or [],
        deadline_at=first.deadline_at,
        submitted_at=first.submitted_at,
        closed_by_deadline=first.closed_by_deadline,
        score=first.score,
        max_score=first.max_score,
        percent=first.percent,
        passed=first.passed,
        quiz_key=first.quiz_key,
        quiz_title=first.quiz_title,
        course_key=first.course_key,
        course_title=first.course_title,
        content_stamp=(first.quiz_id, first.render_key, first.updated_at, first.course_updated_at),
        attempts_used=first.attempts_used,
        allowed_attempts=first.allowed_attempts or 0,
        answers={
            key: (kind, None if response is None else json.loads(response), credit, graded)
            for key, response, credit, graded, kind in first.answers or ()
        },
    )

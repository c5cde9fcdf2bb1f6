"""What the quiz pages (start, attempt, result) read per request, each in one statement.

As the lesson page does (lms.progress.services.lesson_page): the session's user and the page's
rows as plain columns in one statement built once at import, no ORM objects to track. What is
the same for everybody (the quiz's text and rules, a question as served by its immutable version)
is rendered into cached fragments by the templates; what is personal (attempts, saved answers,
the deadline, scores) comes from here on every request and stays outside those fragments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa
from markupsafe import Markup, escape

from lms.accounts.models import User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content import services as content
from lms.content.models import Course, Lesson, Module
from lms.core.db import json_rows
from lms.core.roles import Role
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment, LessonProgress
from lms.quizzes import services
from lms.quizzes.display import encode_matching, question_for_display
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion


def _expired(deadline_at: datetime | None, submitted_at: datetime | None, now: datetime) -> bool:
    """An open attempt whose time ran out (the grace included): the page must close it first."""
    return submitted_at is None and deadline_at is not None and now > deadline_at + services.DEADLINE_GRACE


# --- The start page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRow:
    """One of the candidate's attempts as the start page lists it."""

    id: int
    number: int
    submitted_at: datetime | None
    deadline_at: datetime | None
    percent: float | None
    passed: bool | None


@dataclass(frozen=True)
class StartPage:
    """The quiz start page's changing parts: the quiz's identity and stamp, the reader's visit
    state (a `LessonPage`, so a visit is recorded exactly as a lesson's) and their attempts."""

    course_key: str
    course_id: int
    quiz_key: str
    title: str
    content_stamp: tuple
    visit: progress.LessonPage
    allowed_attempts: int  # 0: unlimited
    attempts: list[AttemptRow] = field(default_factory=list)

    @property
    def open_attempt(self) -> AttemptRow | None:
        return next((attempt for attempt in self.attempts if attempt.submitted_at is None), None)

    @property
    def attempts_left(self) -> int | None:
        """None means unlimited (as services.attempts_left)."""
        if not self.allowed_attempts:
            return None
        return max(0, self.allowed_attempts - len(self.attempts))

    def expired_attempt(self, now: datetime) -> int | None:
        """The id of an open attempt whose deadline passed: the page closes it before showing."""
        attempt = self.open_attempt
        if attempt is not None and _expired(attempt.deadline_at, attempt.submitted_at, now):
            return attempt.id
        return None


# The user, the live quiz with its module and course, the reader's enrolment and progress on it,
# and one row per attempt of theirs (none: one row with empty attempt columns). Each joined on its
# own condition, so a missing quiz still returns the user.
_START_PAGE = (
    session_user_select(
        Course.id.label("course_id"),
        Course.updated_at.label("course_updated_at"),
        Course.gates,
        Lesson.id.label("quiz_id"),
        Lesson.kind,
        Lesson.title,
        Lesson.complete_mode,
        Lesson.render_key,
        Lesson.updated_at,
        Lesson.payload[("policy", "attempts")].as_integer().label("allowed_attempts"),
        Module.id.label("module_id"),
        Module.updated_at.label("module_updated_at"),
        Enrolment.id.label("enrolment_id"),
        Enrolment.last_lesson_id,
        Enrolment.last_activity_at,
        LessonProgress.first_viewed_at,
        LessonProgress.completed_at,
        Attempt.id.label("attempt_id"),
        Attempt.number,
        Attempt.submitted_at,
        Attempt.deadline_at,
        Attempt.percent,
        Attempt.passed,
    )
    .outerjoin(Course, sa.and_(Course.key == sa.bindparam("course_key"), Course.archived_at.is_(None)))
    .outerjoin(
        Lesson,
        sa.and_(
            Lesson.course_id == Course.id,
            Lesson.key == sa.bindparam("quiz_key"),
            Lesson.archived_at.is_(None),
        ),
    )
    .outerjoin(Module, sa.and_(Module.id == Lesson.module_id, Module.archived_at.is_(None)))
    .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == User.id))
    .outerjoin(
        LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == User.id)
    )
    .outerjoin(
        Attempt,
        sa.and_(Attempt.quiz_id == Lesson.id, Attempt.user_id == User.id, User.role == Role.CANDIDATE.value),
    )
    .order_by(Attempt.number)
)


def start_page(
    session_token: str | None, course_key: str, quiz_key: str
) -> tuple[User | None, StartPage | None]:
    """The start page's one statement. (None, None) when nobody is signed in, (user, None) when
    there is no such live quiz; attempts and progress only for candidates."""
    if session_token is None:
        return None, None
    rows = db.session.execute(
        _START_PAGE, {**session_params(session_token), "course_key": course_key, "quiz_key": quiz_key}
    ).all()
    first = rows[0] if rows else None
    user = accept_session_user(
        first.User if first else None, session_token, first.session_seen_at if first else None
    )
    if user is None or first.quiz_id is None or first.module_id is None or first.kind != "quiz":
        return user, None
    reader = user.role == Role.CANDIDATE
    visit = progress.LessonPage(
        lesson_id=first.quiz_id,
        kind=first.kind,
        title=first.title,
        complete_mode=first.complete_mode,
        lesson_count=0,
        content_stamp=(),
        enrolment_id=first.enrolment_id if reader else None,
        lessons_done=0,
        last_lesson_id=first.last_lesson_id if reader else None,
        last_activity_at=first.last_activity_at if reader else None,
        viewed=reader and first.first_viewed_at is not None,
        completed=reader and first.completed_at is not None,
        module_id=first.module_id,
        gates=first.gates or {},
    )
    attempts = [
        AttemptRow(row.attempt_id, row.number, row.submitted_at, row.deadline_at, row.percent, row.passed)
        for row in rows
        if row.attempt_id is not None
    ]
    return user, StartPage(
        course_key=course_key,
        course_id=first.course_id,
        quiz_key=quiz_key,
        title=first.title,
        content_stamp=(
            first.quiz_id,
            first.render_key,
            first.updated_at,
            first.module_updated_at,
            first.course_updated_at,
        ),
        visit=visit,
        allowed_attempts=first.allowed_attempts or 0,
        attempts=attempts,
    )


class QuizContent:
    """The quiz with its course and module, loaded only when a cached part of a page has to be
    rendered (a first view since start-up or since the content changed)."""

    def __init__(self, course_key: str, quiz_key: str) -> None:
        self.course_key, self.quiz_key = course_key, quiz_key

    @cached_property
    def quiz(self) -> Lesson:
        return content.live_lesson_page_or_404(self.course_key, self.quiz_key)

    @cached_property
    def policy(self) -> dict:
        return services.policy_of(self.quiz)

    @cached_property
    def question_count(self) -> int:
        return len(self.quiz.payload.get("questions", []))

    @cached_property
    def next_item(self) -> progress.OutlineItem | None:
        return progress.neighbours(self.quiz.course, self.quiz)[1]


# --- The attempt and result pages ----------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A question as an attempt serves it: its place, version and order of options (the key of
    its cached markup), and the candidate's saved answer to it (None: not answered)."""

    number: int
    item: dict
    kind: str | None
    response: object

    @property
    def key(self) -> str:
        return self.item["key"]

    @property
    def version_id(self) -> int:
        return self.item["version_id"]

    @property
    def order(self) -> tuple:
        return tuple(self.item.get("options") or ())


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
        return _expired(self.deadline_at, self.submitted_at, now)

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
        return {id_: data for id_, data in db.session.execute(_VERSIONS, {"ids": sorted(ids)})}

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


_VERSIONS = sa.select(QuestionVersion.id, QuestionVersion.data).where(
    QuestionVersion.id.in_(sa.bindparam("ids", expanding=True))
)

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


# --- A saved answer on a question's cached markup -------------------------------------------------


def _insert_after(html: str, needle: str, text: str, start: int = 0, end: int | None = None) -> str:
    at = html.find(needle, start, len(html) if end is None else end)
    if at < 0:
        return html
    at += len(needle)
    return html[:at] + text + html[at:]


def _select(html: str, field_name: str, value: str) -> str:
    """Mark `value` selected in the select named `field_name` (and only in it)."""
    start = html.find(f'<select id="{escape(field_name)}" name="{escape(field_name)}">')
    if start < 0:
        return html
    end = html.find("</select>", start)
    return _insert_after(html, f'<option value="{escape(value)}"', " selected", start, end)


def with_answer(html: str, served: Served) -> Markup:
    """Questions' markup, rendered once without any answer (templates/quizzes/_question.html),
    with this candidate's saved answer to one of them filled in, as the macro itself fills it
    when given one.

    The needles are tags of the macro's form fields, named after the question's key (unique in
    an attempt); content never holds such tags (the sanitiser allows no input, select or
    option), so a match is always the field itself.
    """
    html, response, kind = str(html), served.response, served.kind
    if response is None or kind is None:
        return Markup(html)  # nosec B704  # the macro's own rendered markup, unchanged
    name = f"q-{served.key}"
    if kind == "single":
        html = _insert_after(
            html, f'<input type="radio" name="{escape(name)}" value="{escape(response)}"', " checked"
        )
    elif kind == "truefalse" and isinstance(response, bool):
        value = "true" if response else "false"
        html = _insert_after(html, f'<input type="radio" name="{escape(name)}" value="{value}"', " checked")
    elif kind == "multiple":
        for key in response:
            html = _insert_after(
                html, f'<input type="checkbox" name="{escape(name)}" value="{escape(key)}"', " checked"
            )
    elif kind in ("short", "numeric"):
        value = str(response).replace(".", ",") if kind == "numeric" else str(response)
        html = _insert_after(html, f'<input type="text" name="{escape(name)}" value="', str(escape(value)))
    elif kind == "ordering":
        placed: set[str] = set()
        for position, key in enumerate(response, start=1):
            if key is not None and key not in placed:  # its first place, as list.index finds it
                placed.add(key)
                html = _select(html, f"{name}-{key}", str(position))
    elif kind == "matching":
        for left, position in encode_matching(served.item, response).items():
            html = _select(html, f"{name}-{left}", position)
    return Markup(html)  # nosec B704  # the macro markup with escaped values and fixed words inserted

"""Completion under the course's rule, issuing certificates once, revoking, and verify throttling.

Progress tells us of every recount that may change a completion through
`progress.signals.enrolment_progressed`; progress never imports this package. A completion, once
recorded, is never taken back by a recomputation: when the rule no longer holds (an item undone,
new content, a regrade) the completion is marked lapsed and logged, and an admin decides whether
to revoke the certificate.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.certificates.models import Certificate, CourseCompletion, VerifyLookup
from lms.content.models import Course, Lesson
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.exercises.reports import course_competency_scores
from lms.extensions import db
from lms.notifications.services import notify_certificate_issued, path_for
from lms.progress import visibility
from lms.progress.models import Enrolment, LessonProgress
from lms.progress.page_columns import add_page_columns
from lms.progress.signals import enrolment_progressed, requirement_holds

logger = logging.getLogger(__name__)

# 15 random bytes: 120 bits, 20 URL-safe characters (the brief asks for at least 80 bits).
CODE_BYTES = 15


def rule_met(enrolment: Enrolment) -> bool:
    """Whether the candidate meets their course's completion rule right now.

    `percent` is progress's own rule (its `completed_at`); otherwise every live item of the kinds
    the rule counts must be done in its kind's sense (read, passed, accepted). Either way every
    requirement beyond items (a seminar's attendance) must be met too."""
    return items_done(enrolment) and requirements_met(enrolment)


def requirements_met(enrolment: Enrolment) -> bool:
    """Every requirement of the rule beyond items, answered through `requirement_met` by the domain
    that knows it (seminars for attendance): this package imports none of them. A requirement no
    domain answers for (an unknown seminar) is not met."""
    return all(
        requirement_holds(enrolment.user_id, requirement)
        for requirement in enrolment.course.completion_requirements or ()
    )


def items_done(enrolment: Enrolment) -> bool:
    """The items part of the rule (see `rule_met`)."""
    course = enrolment.course
    if course.completion_kind == "percent":
        return enrolment.completed_at is not None
    kinds = list(course.completion_items or ())
    counted_items = sa.and_(
        Lesson.course_id == course.id, Lesson.archived_at.is_(None), Lesson.kind.in_(kinds)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Lesson).where(counted_items))
    if not total:
        return False
    done = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LessonProgress)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(
            counted_items,
            LessonProgress.user_id == enrolment.user_id,
            LessonProgress.completed_at.is_not(None),
        )
    )
    return done >= total


def completion_of(user_id: int, course_id: int) -> CourseCompletion | None:
    return db.session.scalar(
        sa.select(CourseCompletion).where(
            CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id
        )
    )


@dataclass
class Outcome:
    """What one evaluation did, for the CLI's summary and the tests."""

    completed: bool = False  # a completion was recorded now
    issued: bool = False  # a certificate was issued now
    lapsed: bool = False  # the rule stopped holding now
    restored: bool = False  # the rule holds again


def evaluate(enrolment: Enrolment, *, now: datetime | None = None) -> Outcome:
    """Record the completion and issue the certificate the first time the rule is met; note a
    lapse (never a deletion) when it stops being met. Safe to call any number of times."""
    now = now or utcnow()
    outcome = Outcome()
    if enrolment.user.role != Role.CANDIDATE:
        return outcome
    met = rule_met(enrolment)
    completion = completion_of(enrolment.user_id, enrolment.course_id)
    if met:
        if completion is None:
            outcome.completed = insert_or_ignore(
                CourseCompletion,
                {"user_id": enrolment.user_id, "course_id": enrolment.course_id, "completed_at": now},
                ["user_id", "course_id"],
            )
            completion = completion_of(enrolment.user_id, enrolment.course_id)
            assert completion is not None
        elif completion.lapsed_at is not None:
            completion.lapsed_at = None
            outcome.restored = True
            logger.info("completion %s of user %s meets its rule again", completion.id, completion.user_id)
        outcome.issued = issue_certificate(completion, now=now)
    elif completion is not None and completion.lapsed_at is None:
        completion.lapsed_at = now
        outcome.lapsed = True
        logger.warning(
            "completion %s of user %s on course %s no longer meets the course's rule; kept with its"
            " certificate",
            completion.id,
            completion.user_id,
            completion.course_id,
        )
    db.session.flush()
    return outcome


@enrolment_progressed.connect
def _follow_progress(enrolment: Enrolment, **_details) -> None:
    evaluate(enrolment)


def issue_certificate(completion: CourseCompletion, *, now: datetime | None = None) -> bool:
    """Issue the completion's one certificate; True only for the call that issued it."""
    if completion.certificate is not None:
        return False
    user: User = completion.user
    course: Course = completion.course
    scores = [
        {"label": line.label, "score": line.score, "best": line.best}
        for line in course_competency_scores(user.id, course.id)
    ]
    inserted = insert_or_ignore(
        Certificate,
        {
            "completion_id": completion.id,
            "user_id": user.id,
            "course_id": course.id,
            "code": new_code(),
            "issued_at": now or utcnow(),
            "completed_on": completion.completed_at,
            "full_name": user.full_name or user.username,
            "course_title": course.title,
            "hours": course.estimated_hours,
            "scores": scores,
            "revoked_reason": "",
        },
        ["completion_id"],
    )
    db.session.refresh(completion)
    if inserted:  # told once: only the call that issued it gets here
        notify_certificate_issued(
            user, course_title=course.title, link=path_for("content.course", course_key=course.key)
        )
    return inserted


def new_code() -> str:
    """An unguessable code that starts with a letter or digit: one starting with "-" would be
    quoted by the spreadsheet-safe export and read badly when typed or dictated."""
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if code[0].isalnum():
            return code


@dataclass
class Recount:
    enrolments: int = 0
    completed: int = 0
    issued: int = 0
    lapsed: int = 0
    restored: int = 0


def recompute_all() -> Recount:
    """`flask lms completions`: evaluate every candidate's enrolment; running it again changes nothing."""
    result = Recount()
    enrolments = db.session.scalars(
        sa.select(Enrolment).join(User, User.id == Enrolment.user_id).where(User.role == Role.CANDIDATE)
    ).all()
    for enrolment in enrolments:
        outcome = evaluate(enrolment)
        result.enrolments += 1
        result.completed += outcome.completed
        result.issued += outcome.issued
        result.lapsed += outcome.lapsed
        result.restored += outcome.restored
    return result


def certificate_by_code(code: str) -> Certificate | None:
    if not code or len(code) > 40:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.code == code))


def user_completions(user: User) -> dict[int, CourseCompletion]:
    """Course id -> this user's completion (with its certificate), for their home page."""
    rows = db.session.scalars(
        sa.select(CourseCompletion)
        .where(CourseCompletion.user_id == user.id)
        .options(sa.orm.selectinload(CourseCompletion.certificate))
    )
    return {row.course_id: row for row in rows}


@add_page_columns
def _completion_on_the_page(statement: sa.Select) -> sa.Select:
    """The course page and the home page's course cards show the reader's completion and its
    certificate, read in the page's one statement (as `user_completions` gives them to other pages)."""
    return (
        statement.outerjoin(
            CourseCompletion,
            sa.and_(CourseCompletion.user_id == User.id, CourseCompletion.course_id == Course.id),
        )
        .outerjoin(Certificate, Certificate.completion_id == CourseCompletion.id)
        .add_columns(
            CourseCompletion.completed_at.label("completion_completed_at"),
            Certificate.code.label("certificate_code"),
            Certificate.revoked_at.label("certificate_revoked_at"),
        )
    )


def may_download(viewer: User, certificate: Certificate) -> bool:
    """The candidate themselves, an admin, or a coordinator whose scope holds the candidate."""
    if viewer.id == certificate.user_id:
        return True
    if viewer.role not in (Role.ADMIN, Role.COORDINATOR):
        return False
    return visibility.visible_candidate(viewer, certificate.user_id) is not None


def visible_certificates(viewer: User) -> sa.Select:
    """Certificates of candidates in the viewer's region scope, newest first (Refused outside it)."""
    query = (
        sa.select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .options(sa.orm.contains_eager(Certificate.user), sa.orm.selectinload(Certificate.completion))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return visibility.in_scope(query, User.region_code, viewer)


def revoke(certificate: Certificate, admin: User, reason: str, *, now: datetime | None = None) -> None:
    """Revoke with a reason, audited. A revoked certificate stays verifiable, marked revoked."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("reason_missing", _l("Say why the certificate is revoked."), field="reason")
    if certificate.is_revoked:
        raise ValidationError("already_revoked", _l("This certificate is already revoked."), field="reason")
    certificate.revoked_at = now or utcnow()
    certificate.revoked_reason = reason[:2000]
    certificate.revoked_by_id = admin.id
    record(
        "certificate.revoke",
        actor=admin,
        target_type="certificate",
        target_id=certificate.id,
        target_label=f"{certificate.full_name} · {certificate.course_title}",
        details={"code": certificate.code, "reason": certificate.revoked_reason},
    )
    db.session.flush()


def lookup_allowed(address: str, *, now: datetime | None = None) -> bool:
    """Count one verification look-up from this address; False once it made too many in the window.

    Stored in the database so that every worker counts the same look-ups. Old rows are pruned here."""
    now = now or utcnow()
    window: timedelta = current_app.config["VERIFY_LOOKUP_WINDOW"]
    limit: int = current_app.config["VERIFY_MAX_LOOKUPS"]
    address = (address or "")[:64]
    db.session.execute(sa.delete(VerifyLookup).where(VerifyLookup.at < now - window))
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(VerifyLookup).where(VerifyLookup.address == address)
    )
    if count >= limit:
        return False
    db.session.add(VerifyLookup(address=address, at=now))
    db.session.flush()
    return True

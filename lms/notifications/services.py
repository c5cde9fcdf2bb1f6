"""Notifying users. Feature domains call down into `notify` (or one of the named helpers below) in
their own transaction; the text is rendered when read, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.services import record
from lms.core.db import insert_or_ignore
from lms.core.errors import ValidationError
from lms.core.time import utcnow
from lms.extensions import db
from lms.mail.services import enqueue
from lms.notifications.models import Notification, NotificationDigest, Reminder
from lms.notifications.texts import KINDS

PER_PAGE = 20
REMINDER_MAX_LENGTH = 2000
DIGEST_LIMIT = 50  # notifications listed in one digest mail; the rest are counted


def path_for(endpoint: str, **values: object) -> str:
    """The path of an endpoint, in or out of a request (the daily job has none): what `link` stores."""
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def _bump_unread(user_id: int) -> None:
    db.session.execute(
        sa.update(User).where(User.id == user_id).values(unread_notifications=User.unread_notifications + 1),
        execution_options={"synchronize_session": False},
    )


def _recount_unread(user_id: int) -> None:
    unread = (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(User).where(User.id == user_id).values(unread_notifications=unread),
        execution_options={"synchronize_session": False},
    )


def notify(
    user: User,
    kind: str,
    params: dict | None = None,
    *,
    link: str = "",
    once_key: str | None = None,
    digested: bool = False,
) -> bool:
    """Give `user` an in-app notification of `kind` (one of texts.KINDS), leading to `link` (a path).

    With `once_key`, a second notification with the same key for the same user is skipped (the
    daily job runs again, or twice at once). `digested`: already mailed, the digest leaves it out.
    Returns whether a notification was made.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = utcnow()
    values = {
        "user_id": user.id,
        "kind": kind,
        "params": params or {},
        "link": link[:500],
        "once_key": once_key,
        "created_at": now,
        "digested_at": now if digested else None,
    }
    if once_key is not None:
        if not insert_or_ignore(Notification, values, ["user_id", "once_key"]):
            return False
    else:
        db.session.add(Notification(**values))
    _bump_unread(user.id)
    return True


def notify_submission_graded(
    user: User, *, accepted: bool, item_title: str, course_title: str, comment: str, link: str
) -> None:
    """An instructor returned a submission (with their comment) or accepted it."""
    params = {"item": item_title, "course": course_title}
    if not accepted and comment.strip():
        params["comment"] = comment.strip()
    notify(user, "submission_accepted" if accepted else "submission_returned", params, link=link)


def notify_course_assigned(user: User, *, course_title: str, due_on: date | None, link: str) -> None:
    """Staff gave the candidate a course (a cohort's course, or a cohort with courses)."""
    params = {"course": course_title, "due_on": due_on.isoformat() if due_on else None}
    notify(user, "course_assigned", params, link=link)


def notify_certificate_issued(user: User, *, course_title: str, link: str) -> None:
    """For the certificates code: the candidate's certificate of `course_title` is at `link`."""
    notify(user, "certificate_issued", {"course": course_title}, link=link)


def notify_due(
    user: User, *, overdue: bool, enrolment_id: int, course_title: str, due_on: date, today: date, link: str
) -> bool:
    """Due in a few days, or overdue: once per enrolment and due date (a moved date warns again)."""
    kind = "overdue" if overdue else "due_soon"
    params = {"course": course_title, "due_on": due_on.isoformat(), "days": (due_on - today).days}
    return notify(user, kind, params, link=link, once_key=f"{kind}:{enrolment_id}:{due_on.isoformat()}")


# --- reading and marking ------------------------------------------------------------------------


@dataclass
class NotificationPage:
    items: list[Notification]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def notification_page(user: User, page: int = 1) -> NotificationPage:
    """A user's notifications, newest first."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    total = db.session.scalar(query.with_only_columns(sa.func.count()))
    items = db.session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return NotificationPage(list(items), total, page)


def own_notification(user: User, notification_id: int) -> Notification | None:
    """The user's own notification, or None (somebody else's is not there)."""
    return db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of the user's notifications read; False if it was read already or is not theirs."""
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount:
        _recount_unread(user.id)
    return bool(result.rowcount)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    _recount_unread(user.id)
    return result.rowcount or 0


# --- coordinators' reminders --------------------------------------------------------------------


# Built once: the at-risk page asks on every request.
_SENT_SINCE = (
    sa.select(sa.func.count())
    .select_from(Reminder)
    .where(Reminder.sender_id == sa.bindparam("sender_id"), Reminder.created_at > sa.bindparam("since"))
)


def reminders_left(sender: User, now: datetime | None = None) -> int:
    """How many more reminders `sender` may send in the current hour (REMINDERS_PER_HOUR)."""
    now = now or utcnow()
    # Through Core: a count on every at-risk page needs none of the ORM's work.
    since = now - timedelta(hours=1)
    sent = db.session.connection().execute(_SENT_SINCE, {"sender_id": sender.id, "since": since}).scalar_one()
    return max(0, int(current_app.config["REMINDERS_PER_HOUR"]) - sent)


def send_reminders(sender: User, candidates: list[User], text: str, *, link: str = "") -> int:
    """Remind candidates (whom the caller checked are in the sender's scope): a stored reminder, an
    in-app notification, a mail unless they turned mail off, and an audit event each.

    Refused as a whole when the text is empty or too long, or the sender's hourly allowance is
    smaller than the list. Returns how many were reminded.
    """
    text = text.strip()
    if not text:
        raise ValidationError("text_missing", _l("Write the text of the reminder."), field="text")
    if len(text) > REMINDER_MAX_LENGTH:
        raise ValidationError(
            "text_too_long",
            _l("The reminder is too long (at most %(count)s characters).", count=REMINDER_MAX_LENGTH),
            field="text",
        )
    if not candidates:
        raise ValidationError("nobody", _l("Choose at least one candidate."), field="candidates")
    # Serialise one sender's reminders (PostgreSQL; SQLite writers queue anyway), so two workers
    # cannot both find room in the hourly allowance.
    db.session.execute(sa.select(User.id).where(User.id == sender.id).with_for_update())
    left = reminders_left(sender)
    if len(candidates) > left:
        raise ValidationError(
            "rate_limited",
            _l(
                "You may send %(left)s more reminders this hour; you chose %(chosen)s candidates.",
                left=left,
                chosen=len(candidates),
            ),
            field="candidates",
        )
    now = utcnow()
    sender_name = sender.display_name
    for candidate in candidates:
        db.session.add(
            Reminder(
                user_id=candidate.id, sender_id=sender.id, sender_name=sender_name, text=text, created_at=now
            )
        )
        notify(candidate, "reminder", {"sender": sender_name, "text": text}, link=link, digested=True)
        if wants_mail(candidate):
            enqueue(
                "reminder",
                to_address=candidate.email,
                to_name=candidate.display_name,
                locale=candidate.locale,
                user_id=candidate.id,
                context={"sender_name": sender_name, "text": text, "link": public_link(link)},
            )
        record("reminder.send", target=candidate, actor=sender, details={"text": text[:200]})
    db.session.flush()
    return len(candidates)


def reminders_for(user: User, limit: int = 50) -> list[Reminder]:
    """The reminders sent to a candidate, newest first (their drill-down page shows them)."""
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.user_id == user.id)
            .order_by(Reminder.created_at.desc(), Reminder.id.desc())
            .limit(limit)
        )
    )


# --- mail ---------------------------------------------------------------------------------------


def wants_mail(user: User) -> bool:
    """Whether mail about notifications may go to `user`: an address, mail on, account active."""
    return bool(user.email) and user.email_notifications and user.is_active_account


def public_link(path: str) -> str:
    """A stored path as an absolute address on PUBLIC_URL (for mail)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return base + (path or "/")


@dataclass
class DigestReport:
    sent: int = 0
    skipped: int = 0  # mail off, no address, or already mailed today


def claim_day(user: User, kind: str, day: date, items: int) -> bool:
    """Record that `user` gets the `kind` mail of `day`; False if someone already did (never twice)."""
    return insert_or_ignore(
        NotificationDigest,
        {"user_id": user.id, "kind": kind, "day": day, "sent_at": utcnow(), "items": items},
        ["user_id", "kind", "day"],
    )


def send_digests(day: date) -> DigestReport:
    """One mail per user with the notifications no digest has carried yet, at most one a day.

    The day's record is inserted first (insert-or-ignore on user and day): a second run the same
    day, or one running at the same time, finds it and sends nothing. Notifications of users who
    get no mail are settled without one. The caller commits.
    """
    report = DigestReport()
    user_ids = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.digested_at.is_(None)).distinct()
    ).all()
    for user_id in sorted(user_ids):
        user = db.session.get(User, user_id)
        pending = list(
            db.session.scalars(
                sa.select(Notification)
                .where(Notification.user_id == user_id, Notification.digested_at.is_(None))
                .order_by(Notification.created_at, Notification.id)
            )
        )
        if not pending:
            continue
        if user is None or not wants_mail(user):
            _settle(pending)
            report.skipped += 1
            continue
        if not claim_day(user, "digest", day, len(pending)):
            report.skipped += 1
            continue
        enqueue(
            "digest",
            to_address=user.email,
            to_name=user.display_name,
            locale=user.locale,
            user_id=user.id,
            context={
                "notifications": pending[:DIGEST_LIMIT],
                "more": max(0, len(pending) - DIGEST_LIMIT),
                "base_url": current_app.config["PUBLIC_URL"].rstrip("/"),
                "list_link": public_link(path_for("notifications.index")),
                "profile_link": public_link(path_for("accounts.profile")),
            },
        )
        _settle(pending)
        report.sent += 1
    db.session.flush()
    return report


def _settle(pending: list[Notification]) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_([n.id for n in pending]), Notification.digested_at.is_(None))
        .values(digested_at=utcnow()),
        execution_options={"synchronize_session": False},
    )

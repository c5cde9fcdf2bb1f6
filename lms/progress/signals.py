"""Progress events that domains above progress follow without progress importing them.

Certificates connect to `enrolment_progressed` (lms.certificates.services): a course may have
become complete under its rule, or stopped being so after an undone item or a content change.
A rule may also ask for something progress does not know (a seminar's attendance): certificates
ask `requirement_met`, the domain that knows answers, and that domain calls
`progress.services.requirement_changed` when its answer may have changed. The course page shows
the candidate how far they are with each such requirement: it asks `requirement_progress`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from blinker import Namespace

if TYPE_CHECKING:
    from lms.accounts.models import User

_signals = Namespace()

# Sent with the enrolment as sender, in the same transaction, whenever its completed items were
# counted again and the course's completion may have changed: an item undone, the course's items
# changed on import, or an item done (a lesson read, a quiz graded, a scenario finished, an
# assignment accepted) unless the counts show the course cannot be complete yet (a completion only
# adds a done item: it cannot make a rule stop holding); also when a requirement of the course's
# rule outside progress may have changed (progress.services.requirement_changed).
enrolment_progressed = _signals.signal("enrolment-progressed")

# Asked (sender None) with `user_id` and `requirement`, one entry of a course's
# `completion_requirements` (e.g. {"kind": "attendance", "seminar": "vybory-2027", "percent": None}),
# by whoever evaluates a completion rule: certificates, which may not import the domain that knows
# the answer. The domain that knows that kind answers True or False (seminars answer attendance);
# receivers answer None for kinds not theirs.
requirement_met = _signals.signal("requirement-met")


def requirement_holds(user_id: int, requirement: dict) -> bool:
    """Whether some receiver says the requirement is met for the user and none says it is not.

    No receiver, or no receiver answering for this kind (a domain not installed, an unknown
    seminar), means not met: a rule never holds by default."""
    replies = requirement_met.send(None, user_id=user_id, requirement=requirement)
    answers = [answer for _receiver, answer in replies if answer is not None]
    return bool(answers) and all(answers)


@dataclass(frozen=True, slots=True)
class RequirementProgress:
    """How far a candidate is with one requirement beyond items, as the course page shows it."""

    kind: str  # the requirement's kind ("attendance"): the page words it by kind
    title: str  # what it names (a seminar's title; its key when there is no such seminar)
    url: str | None  # the candidate's own page of it, when they may open it
    percent: float  # the share asked for, in percent
    done: int  # units done so far (sessions attended)
    needed: int  # units the share asks for now
    total: int  # units there are (the seminar's sessions)
    met: bool  # as `requirement_met` answers


# Asked (sender None) with `user` (a User) and `requirement`, like `requirement_met`, by the course
# page. The domain that knows that kind answers a RequirementProgress, in one statement at most
# (the page is read on every visit); receivers answer None for kinds not theirs.
requirement_progress = _signals.signal("requirement-progress")


def progress_of(user: User, requirements: list[dict]) -> list[RequirementProgress]:
    """Each requirement some receiver answers for, in the rule's order; one not answered for (a
    domain not installed) is left out: the page cannot say how far the reader is with it."""
    found = []
    for requirement in requirements:
        replies = requirement_progress.send(None, user=user, requirement=requirement)
        answers = [answer for _receiver, answer in replies if answer is not None]
        found.extend(answers[:1])
    return found

"""Recording a visit on the pages served as the lesson page is (lesson, quiz start, assignment).

These pages commit themselves, an exception to one commit per request (lms.core.transactions): a
first visit's rows in one short transaction before rendering, a repeat visit's single UPDATE after
it, each on its own so that SQLite's write lock is held for the write alone.
"""

from __future__ import annotations

from datetime import datetime

from lms.accounts.models import User
from lms.content import services as content
from lms.core import transactions
from lms.extensions import db
from lms.progress.services import ItemVisit, record_view, touch_enrolment


def record_first_visit(reader: User, course_key: str, item_key: str) -> None:
    """The rows a first visit creates (enrolment, progress, completion on view), committed, then
    back to autocommit; the caller reads its page again."""
    transactions.start_writing()
    record_view(reader, content.live_lesson_page_or_404(course_key, item_key))
    db.session.commit()
    transactions.autocommit()


def touch_if_due(visit: ItemVisit, now: datetime) -> None:
    """A repeat visit's one UPDATE (last item; last activity when stale), when due; after rendering."""
    if visit.needs_touch(now):
        assert visit.enrolment_id is not None  # needs_touch says so
        touch_enrolment(visit.enrolment_id, visit.item_id, now, activity=visit.activity_is_stale(now))
        db.session.commit()  # in autocommit: only gives the connection back, before the response

"""The course outline and lesson pages: content's URLs and endpoints, a reader's progress.

They add their routes to content's blueprint (endpoints `content.course`, `content.lesson`), so
links stay where authors and templates expect them; the factory imports this module before it
registers the blueprints. Content itself never imports progress.
"""

from __future__ import annotations

from functools import cached_property

from flask import abort, redirect, render_template, url_for

from lms.accounts.auth import adopt_user, session_token
from lms.content import services
from lms.content.lessons import LESSON
from lms.content.models import Lesson
from lms.content.registry import page_of
from lms.content.views import bp
from lms.core import transactions
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import login_manager
from lms.progress import gates, visits
from lms.progress import services as progress
from lms.progress.course_page import CourseContent, course_page


@bp.route("/<course_key>")
def course(course_key: str):
    """The outline with the reader's progress: one statement checks the session and reads what is
    personal (lms.progress.course_page); the outline itself is cached HTML. Signed-in users only,
    as `login_required` would check, without loading the user in a statement of its own."""
    transactions.autocommit()
    user, page = course_page(session_token(), course_key)
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    if page is None:
        abort(404)
    return render_template(
        "content/course.html",
        page=page,
        content=CourseContent(course_key),
        requirements=page.requirements_progress(user),
    )


class LessonContent:
    """The lesson with its course, module and neighbours, loaded only if a cached part of the
    page has to be rendered (a first view since start-up or since the content changed)."""

    def __init__(self, course_key: str, lesson_key: str) -> None:
        self.course_key, self.lesson_key = course_key, lesson_key

    @cached_property
    def lesson(self) -> Lesson:
        return services.live_lesson_page_or_404(self.course_key, self.lesson_key)

    @cached_property
    def neighbours(self) -> tuple[progress.OutlineItem | None, progress.OutlineItem | None]:
        return progress.neighbours(self.lesson.course, self.lesson)


@bp.route("/<course_key>/lessons/<lesson_key>")
def lesson(course_key: str, lesson_key: str):
    """The busiest page: one statement checks the session and reads the page, then render, then
    record the visit in a short write of its own.

    Signed-in users only, as `login_required` would check, but without loading the user in a
    statement of its own. Only a first visit writes before rendering (it creates what the page
    shows, in a transaction); a repeat visit's single UPDATE runs after, as a statement of its
    own, so on SQLite the write lock is held for that statement alone.
    """
    transactions.autocommit()
    user, page = progress.lesson_page(session_token(), course_key, lesson_key)
    adopt_user(user)
    if user is None:
        return login_manager.unauthorized()
    if page is None:
        abort(404)
    endpoint, key_name = page_of(page.kind)
    if endpoint != LESSON.page:  # a quiz or an exercise: shown on its kind's own page
        return redirect(url_for(endpoint, course_key=course_key, **{key_name: lesson_key}))
    reader = user if user.role == Role.CANDIDATE else None
    if reader is not None and page.gates:
        lock = gates.locks_for(reader, page.gates).for_module(page.module_id)
        if lock is not None:
            raise gates.ItemLocked(course_key, lock)
    if reader is not None and page.is_first_visit():
        visits.record_first_visit(reader, course_key, lesson_key)
        _, page = progress.lesson_page(session_token(), course_key, lesson_key)
        if page is None:  # archived or signed out between the two statements
            abort(404)
    html = render_template(
        "content/lesson.html",
        page=page,
        content=LessonContent(course_key, lesson_key),
        course_key=course_key,
        lesson_key=lesson_key,
        tracked=reader is not None,
    )
    if reader is not None:
        visits.touch_if_due(page, utcnow())
    return html

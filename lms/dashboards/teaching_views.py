"""The instructors' pages: their courses, and each course's candidates with their progress (read-only)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from lms.content.services import live_course_or_404
from lms.core.roles import Role, role_required
from lms.core.web import page_arg
from lms.dashboards import teaching as service
from lms.dashboards.views import bp, status_labels
from lms.progress.visibility import teaches, teaches_anything

TEACHERS = (Role.INSTRUCTOR, Role.ADMIN)


@bp.route("/teaching")
@role_required(*TEACHERS)
def teaching():
    summaries = service.course_summaries(current_user)
    quiz_lists = [(course, service.course_quizzes(course)) for course, _cell in summaries]
    return render_template(
        "dashboards/teaching.html",
        summaries=summaries,
        quiz_lists=[(course, quizzes) for course, quizzes in quiz_lists if quizzes],
        teaches_nothing=not teaches_anything(current_user),
    )


@bp.route("/teaching/<course_key>")
@role_required(*TEACHERS)
def teaching_course(course_key: str):
    course = live_course_or_404(course_key)
    if not teaches(current_user, course.id):
        abort(404)
    filters = service.TeachingFilters.from_args(request.args)
    page = page_arg()
    rows, total = service.course_progress(course, filters, page=page)
    return render_template(
        "dashboards/teaching_course.html",
        course=course,
        rows=rows,
        total=total,
        page=page,
        has_next=page * service.PAGE_SIZE < total,
        filters=filters,
        choices=service.filter_choices(course),
        statuses=status_labels(),
        quizzes=service.course_quizzes(course),
    )

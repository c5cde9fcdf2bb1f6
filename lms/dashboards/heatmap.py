"""The course heatmap: candidates × modules (or × the items of one module), one page at a time.

Three statements, as plain columns (no ORM objects): the session's user with the course and the
region asked for (the page's checks); the course's live modules and items (the columns); one page
of candidates with their cells and the number of candidates (a national coordinator's region
filter adds its list). Module cells read the per-module rollup (lms.progress.module_rollup), a few
rows per candidate; one module's item cells read those candidates' progress rows of that module
alone, by their unique index. Nothing is cached across requests.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup

from lms.accounts.models import Region, User
from lms.accounts.sessions import accept_session_user, session_params, session_user_select
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.progress.module_rollup import ModuleProgress
from lms.progress.visibility import Refused, region_scope

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Target:
    """What the page's checks read with the session's user: the live course, the region asked for."""

    course_id: int | None
    course_key: str
    course_title: str
    region_exists: bool


# Built once: the signed-in user (as role_required would load it), the live course by key and the
# requested region, each joined on its own condition so that a missing one still returns the user.
_TARGET = (
    session_user_select(
        Course.id.label("course_id"),
        Course.key.label("course_key"),
        Course.title.label("course_title"),
        Region.code.label("region_found"),
    )
    .outerjoin(Course, sa.and_(Course.key == sa.bindparam("course_key"), Course.archived_at.is_(None)))
    .outerjoin(Region, Region.code == sa.bindparam("region"))
)


def target(
    session_token: str | None, course_key: str, region: str | None
) -> tuple[User | None, Target | None]:
    """The session's user and what the page shows; (None, None) when nobody is signed in."""
    if session_token is None:
        return None, None
    row = db.session.execute(
        _TARGET, {**session_params(session_token), "course_key": course_key, "region": region}
    ).first()
    user = accept_session_user(row.User if row else None, session_token, row.session_seen_at if row else None)
    if user is None:
        return None, None
    return user, Target(
        row.course_id, row.course_key or "", row.course_title or "", row.region_found is not None
    )


@dataclass(frozen=True, slots=True)
class Column:
    id: int
    key: str
    title: str


@dataclass(frozen=True, slots=True)
class HeatRow:
    user_id: int
    name: str
    cells: tuple[tuple[str, int, int], ...]  # per column: (state, done, total); state done|started|none


@dataclass(frozen=True, slots=True)
class Heatmap:
    course: Column
    module: Column | None
    columns: list[Column]
    rows: list[HeatRow]
    total: int


_COLUMNS = (
    sa.select(Module.id, Module.key, Module.title, Lesson.id.label("item_id"), Lesson.key, Lesson.title)
    .outerjoin(
        Lesson,
        sa.and_(
            Lesson.module_id == Module.id,
            Lesson.course_id == Module.course_id,
            Lesson.archived_at.is_(None),
        ),
    )
    .where(Module.course_id == sa.bindparam("course_id"), Module.archived_at.is_(None))
    .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
)


def _structure(course_id: int) -> tuple[list[Column], dict[int, list[Column]]]:
    """The course's live modules in order, and each one's live items in order."""
    modules: list[Column] = []
    items: dict[int, list[Column]] = defaultdict(list)
    for module_id, module_key, module_title, item_id, item_key, item_title in db.session.execute(
        _COLUMNS, {"course_id": course_id}
    ):
        if not modules or modules[-1].id != module_id:
            modules.append(Column(module_id, module_key, module_title))
        if item_id is not None:
            items[module_id].append(Column(item_id, item_key, item_title))
    return modules, items


@functools.cache
def _statements(by_region: bool, by_cohort: bool, per_item: bool) -> tuple[sa.Select, sa.Select]:
    """The count and the page of one kind of request, built once (building costs more than running).

    Binds course_id, region, cohort (those filtered by), columns (the cells' module or item ids),
    limit and offset. The page's rows each carry the count, so a page with rows needs no second
    statement.
    """
    conditions = [Enrolment.course_id == sa.bindparam("course_id")]
    if by_region:
        conditions.append(Enrolment.region_code == sa.bindparam("region"))
    if by_cohort:
        conditions.append(Enrolment.cohort_id == sa.bindparam("cohort"))
    count = sa.select(sa.func.count()).select_from(Enrolment).where(*conditions)
    listed = sa.select(Enrolment.user_id, User.full_name, User.username).join(
        User, User.id == Enrolment.user_id
    )
    if by_region:
        # Enrolments carry their candidate's region (kept in step by change_region), so this
        # changes no rows; it lets the database walk ix_users_region_name in name order and stop
        # after one page instead of sorting the region's candidates.
        conditions.append(User.region_code == sa.bindparam("region"))
    listed = (
        listed.where(*conditions)
        .order_by(User.full_name, User.username)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        .subquery("listed")
    )
    if per_item:  # a cell per item: its progress row if any (opened), and whether it is done
        source = LessonProgress
        cell = (LessonProgress.lesson_id, LessonProgress.completed_at.is_not(None), sa.literal(1))
    else:  # a cell per module: the rollup's counts
        source = ModuleProgress
        cell = (ModuleProgress.module_id, ModuleProgress.done, ModuleProgress.opened)
    page = (
        sa.select(listed.c.user_id, listed.c.full_name, listed.c.username, *cell, count.scalar_subquery())
        .select_from(listed)
        .outerjoin(
            source,
            sa.and_(source.user_id == listed.c.user_id, cell[0].in_(sa.bindparam("columns", expanding=True))),
        )
        .order_by(listed.c.full_name, listed.c.username)
    )
    return count, page


def heatmap(
    viewer: User,
    target: Target,
    *,
    region_code: str | None,
    cohort_id: int | None,
    module_key: str | None,
    page: int,
    page_size: int = PAGE_SIZE,
) -> Heatmap:
    """One page of candidates (by name) with a cell per live module, or per item of one module.

    The enrolments counted and listed are those `in_scope` would leave: a viewer limited to a
    region is shown that region only (the view passes it as `region_code`; any other is refused).
    """
    assert target.course_id is not None
    scope = region_scope(viewer)
    if scope is not None and region_code != scope:
        raise Refused
    modules, items = _structure(target.course_id)
    module = next((m for m in modules if m.key == module_key), None) if module_key else None
    if module is not None:
        columns = items.get(module.id, [])
        totals = dict.fromkeys((column.id for column in columns), 1)
    else:
        columns = modules
        totals = {column.id: len(items.get(column.id, ())) for column in columns}
    count, listing = _statements(bool(region_code), cohort_id is not None, module is not None)
    params = {
        "course_id": target.course_id,
        "region": region_code,
        "cohort": cohort_id,
        "columns": list(totals),
        "limit": page_size,
        "offset": (page - 1) * page_size,
    }
    found = db.session.execute(listing, params).all()
    rows: list[HeatRow] = []
    counts: dict[int, tuple[int, int]] = {}
    for index, (user_id, full_name, username, column_id, done, opened, _total) in enumerate(found):
        if column_id is not None:
            counts[column_id] = (int(done), opened)
        if index + 1 == len(found) or found[index + 1].user_id != user_id:
            rows.append(HeatRow(user_id, full_name or username, _cells(columns, totals, counts)))
            counts = {}
    total = found[0][-1] if found else db.session.scalar(count, params)  # past the end: count alone
    course = Column(target.course_id, target.course_key, target.course_title)
    return Heatmap(course, module, columns, rows, total)


def _cells(
    columns: list[Column], totals: dict[int, int], counts: dict[int, tuple[int, int]]
) -> tuple[tuple[str, int, int], ...]:
    cells = []
    for column in columns:
        done, opened = counts.get(column.id, (0, 0))
        total = totals[column.id]
        state = "done" if total and done == total else ("started" if opened else "none")
        cells.append((state, done, total))
    return tuple(cells)


class CellMarkup:
    """A row's cells as HTML, each distinct (state, done, total) rendered once per page by the
    template's macro: a page of 50 candidates has a few dozen distinct cells among hundreds."""

    def __init__(self, render: Callable[..., Markup]) -> None:
        self.render = render
        self.rendered: dict[tuple[str, int, int], Markup] = {}

    def __call__(self, cells: tuple[tuple[str, int, int], ...]) -> Markup:
        out = []
        for cell in cells:
            html = self.rendered.get(cell)
            if html is None:
                html = self.rendered[cell] = self.render(*cell)
            out.append(html)
        return Markup("\n".join(out))  # nosec B704  # each piece is the macro's Markup, escaped already

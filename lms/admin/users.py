"""The user list: one query over the accounts a manager may manage, with search, filters and sort.

It starts from `permissions.manageable_users(actor)`, so scope is decided once; filters only narrow
it. Search reads `users.search_text` (name, username and email, lower-cased, ё as е).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.accounts.models import UNUSABLE_PASSWORD_PREFIX, Region, User, user_search_text
from lms.accounts.permissions import manageable_users, region_limit
from lms.accounts.services import regions_query
from lms.core.roles import Role
from lms.extensions import db
from lms.progress.models import Cohort, CohortMember

PAGE_SIZE = 50
# Lists count their matches up to this many ("1,000+"): an exact count of 100,000 accounts costs a
# scan of them all on every page, and nobody pages that far; a search narrows the list instead.
COUNT_CAP = 1000
STATUSES = ("active", "inactive", "invited", "never")
SORTS = ("name", "username", "created", "last_seen", "region")


@dataclass
class UserFilters:
    q: str = ""
    role: str = ""
    region: str = ""
    cohort: int | None = None
    status: str = ""
    sort: str = "name"
    desc: bool = False

    @classmethod
    def from_args(cls, args: MultiDict) -> UserFilters:
        role = args.get("role", "")
        status = args.get("status", "")
        sort = args.get("sort", "name")
        cohort = args.get("cohort", "")
        return cls(
            q=" ".join(args.get("q", "").split())[:100],
            role=role if role in {r.value for r in Role} else "",
            region=args.get("region", "")[:3],
            cohort=int(cohort) if cohort.isascii() and cohort.isdecimal() and len(cohort) < 12 else None,
            status=status if status in STATUSES else "",
            sort=sort if sort in SORTS else "name",
            desc=args.get("desc") == "1",
        )

    def as_args(self, **changes: object) -> dict[str, object]:
        """Query arguments for links that keep the filters (empty ones left out)."""
        values = {**asdict(self), **changes}
        values["desc"] = "1" if values["desc"] else ""
        return {key: value for key, value in values.items() if value not in ("", None, False)}


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def user_query(actor: User, filters: UserFilters) -> sa.Select:
    """The filtered users `actor` may manage (unsorted, unpaged)."""
    query = manageable_users(actor)
    if filters.q:
        for word in user_search_text(filters.q, None, None).split():
            query = query.where(User.search_text.like(_like_pattern(word), escape="\\"))
    if filters.role:
        query = query.where(User.role == Role(filters.role))
    if filters.region:
        query = query.where(User.region_code == (None if filters.region == "-" else filters.region))
    if filters.cohort is not None:
        query = query.where(
            sa.exists().where(CohortMember.user_id == User.id, CohortMember.cohort_id == filters.cohort)
        )
    if filters.status == "active":
        query = query.where(User.is_active_account.is_(True))
    elif filters.status == "inactive":
        query = query.where(User.is_active_account.is_(False))
    elif filters.status == "invited":
        query = query.where(
            User.is_active_account.is_(True), User.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)
        )
    elif filters.status == "never":
        query = query.where(User.last_seen_at.is_(None))
    return query


def _order(filters: UserFilters) -> list:
    columns = {
        "name": [User.full_name, User.username],
        "username": [User.username],
        "created": [User.created_at],
        "last_seen": [User.last_seen_at],
        "region": [User.region_code, User.full_name],
    }[filters.sort]
    order = [column.desc() if filters.desc else column.asc() for column in columns]
    if filters.sort == "last_seen":  # never signed in goes last either way
        order = [order[0].nulls_last()]
    return [*order, User.id.desc() if filters.desc else User.id.asc()]


@dataclass
class UserPage:
    users: list[User]
    total: int  # up to COUNT_CAP
    capped: bool  # more than COUNT_CAP match
    page: int
    has_next: bool


def capped_count(query: sa.Select) -> tuple[int, bool]:
    """How many rows a query matches, counting at most COUNT_CAP + 1 of them."""
    limited = query.with_only_columns(sa.literal(1)).order_by(None).limit(COUNT_CAP + 1).subquery()
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(limited))
    return min(counted, COUNT_CAP), counted > COUNT_CAP


def list_users(actor: User, filters: UserFilters, page: int = 1) -> UserPage:
    """One page of the list, whether another follows, and how many match (capped)."""
    query = user_query(actor, filters)
    total, capped = capped_count(query)
    rows = list(
        db.session.scalars(
            query.order_by(*_order(filters)).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
        )
    )
    return UserPage(rows[:PAGE_SIZE], total, capped, page, len(rows) > PAGE_SIZE)


def region_choices(actor: User) -> list[Region]:
    """Regions a manager may filter by or assign: one for a regional coordinator, all otherwise."""
    query = regions_query()
    limit = region_limit(actor)
    if limit is not None:
        query = query.where(Region.code == limit)
    return list(db.session.scalars(query))


def cohort_choices(actor: User) -> list[Cohort]:
    """Cohorts a manager may filter by: their region's (and national ones) for a regional coordinator."""
    query = sa.select(Cohort).where(Cohort.archived_at.is_(None)).order_by(Cohort.name)
    limit = region_limit(actor)
    if limit is not None:
        query = query.where(sa.or_(Cohort.region_code == limit, Cohort.region_code.is_(None)))
    return list(db.session.scalars(query))


def manageable_user_or_none(actor: User, user_id: int) -> User | None:
    return db.session.scalar(manageable_users(actor).where(User.id == user_id))


def user_cohorts(user: User) -> list[Cohort]:
    return list(
        db.session.scalars(
            sa.select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user.id)
            .order_by(Cohort.name)
        )
    )


def invitation_query(actor: User) -> sa.Select:
    """Active users who have never signed in, in name order (the name index serves it)."""
    return (
        manageable_users(actor)
        .where(User.is_active_account.is_(True), User.last_seen_at.is_(None))
        .order_by(User.full_name, User.username, User.id)
    )

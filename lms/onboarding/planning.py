"""What importing a file would do to each row, checked against the database as it is now.

The preview shows a plan; confirming builds the plan again inside the writing transaction and
carries it out, so what is written matches the database at that moment. Everything the checks need
(users, regions, cohorts, memberships, taken usernames) is read in bulk, a few queries per file.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.accounts.models import Region, User
from lms.accounts.permissions import check_assignment, may_manage, region_limit
from lms.accounts.services import USERNAME_RE, email_problem, normalise_email
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.extensions import db
from lms.onboarding.columns import FIELDS, Columns, map_columns
from lms.onboarding.messages import field_label
from lms.onboarding.names import unique_username, username_base
from lms.onboarding.problems import FileRefused, Problem
from lms.onboarding.reading import Row, Table, read_table
from lms.onboarding.values import RegionIndex, parse_role, text_key
from lms.progress.models import Cohort, CohortMember

MAX_FULL_NAME = 200
CHUNK = 500  # values per IN (...): well under every backend's limit on bound parameters


class Outcome(enum.StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True)
class Issue:
    """What keeps a row from being imported; `field` names its column (None: the row as a whole)."""

    field: str | None
    problem: Problem


@dataclass(frozen=True)
class Change:
    field: str  # full_name | email | role | region_code | cohort
    old: str | None
    new: str | None


@dataclass
class PlannedRow:
    number: int
    cells: dict[str, str]  # field -> the cell's text, as the preview shows it
    full_name: str = ""
    email: str | None = None
    username: str = ""
    username_generated: bool = False
    role: str | None = None
    region_code: str | None = None
    cohort: Cohort | None = None
    user: User | None = None
    issues: list[Issue] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def fail(self, field_name: str | None, code: str, **params: object) -> None:
        self.issues.append(Issue(field_name, Problem(code, **params)))

    @property
    def outcome(self) -> Outcome:
        if self.issues:
            return Outcome.ERROR
        if self.user is None:
            return Outcome.NEW
        return Outcome.UPDATE if self.changes else Outcome.UNCHANGED


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    refused: Problem | None = None
    table: Table | None = None
    columns: Columns | None = None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Outcome, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return {outcome.value: count for outcome, count in counts.items()}

    def column(self, field_name: str | None) -> str:
        """A column as the file heads it ("Эл. почта"), or the field's own name."""
        if field_name is None:
            return ""
        heading = self.columns.heading(field_name) if self.columns else ""
        return heading or field_label(field_name)


def build_plan(content: bytes, actor: User, *, invite: bool = False) -> Plan:
    """Read the file and decide, row by row, what importing it as `actor` would do."""
    try:
        table = read_table(content)
        columns = map_columns(table.headings)
    except FileRefused as refused:
        return Plan(refused=refused.problem)
    plan = Plan(table=table, columns=columns, notes=list(table.notes))
    if columns.unknown:
        plan.notes.append(Problem("unknown_columns", columns=columns.unknown))
    lookups = _Lookups(actor)
    plan.rows = [_read_row(row, columns, lookups) for row in table.rows]
    lookups.load_users(plan.rows)
    for row in plan.rows:
        _match(row, lookups)
    _mark_duplicates(plan.rows)
    lookups.load_memberships(plan.rows)
    for row in plan.rows:
        _decide(row, lookups, invite=invite)
    _give_usernames(plan.rows, lookups)
    # Problems in the order of the file's columns, those of the row as a whole first.
    for row in plan.rows:
        row.issues.sort(key=lambda issue: columns.index.get(issue.field, -1))
    return plan


class _Lookups:
    """What the checks read from the database, loaded once per file."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.regions = RegionIndex(db.session.execute(sa.select(Region.code, Region.name_ru, Region.name_en)))
        self.cohorts: dict[str, Cohort] = {}
        self.cohort_keys: defaultdict[str, list[Cohort]] = defaultdict(list)
        for cohort in db.session.scalars(sa.select(Cohort)):
            self.cohorts[cohort.name] = cohort
            self.cohort_keys[text_key(cohort.name)].append(cohort)
        self.by_email: dict[str, User] = {}
        self.by_username: dict[str, User] = {}
        self.members: set[tuple[int, int]] = set()

    def cohort(self, name: str) -> Cohort | None:
        """By exact name, else by name in any case (when only one cohort has it)."""
        found = self.cohorts.get(name)
        if found is None and len(self.cohort_keys.get(text_key(name), ())) == 1:
            found = self.cohort_keys[text_key(name)][0]
        return found

    def load_users(self, rows: Sequence[PlannedRow]) -> None:
        emails = {row.email for row in rows if row.email}
        usernames = {row.username for row in rows if row.username}
        for chunk in _chunks(emails):
            for user in db.session.scalars(sa.select(User).where(User.email.in_(chunk))):
                self.by_email[user.email] = user
        for chunk in _chunks(usernames):
            for user in db.session.scalars(sa.select(User).where(User.username.in_(chunk))):
                self.by_username[user.username] = user

    def load_memberships(self, rows: Sequence[PlannedRow]) -> None:
        user_ids = {row.user.id for row in rows if row.user is not None and row.cohort is not None}
        for chunk in _chunks(user_ids):
            query = sa.select(CohortMember.cohort_id, CohortMember.user_id).where(
                CohortMember.user_id.in_(chunk)
            )
            self.members.update((cohort_id, user_id) for cohort_id, user_id in db.session.execute(query))

    def taken_usernames(self, bases: Iterable[str]) -> set[str]:
        """Existing usernames among `bases` and their numbered forms (base2, base3, ...)."""
        taken: set[str] = set()
        bases = set(bases)
        for chunk in _chunks(bases):
            taken.update(db.session.scalars(sa.select(User.username).where(User.username.in_(chunk))))
        # Numbered forms only for the bases already taken: a range scan on the unique index each
        # ("ivanov.ip" + a digit ... ":" is the character after "9").
        for chunk in _chunks(sorted(taken & bases), size=100):
            ranges = [sa.and_(User.username >= base + "0", User.username < base + ":") for base in chunk]
            taken.update(db.session.scalars(sa.select(User.username).where(sa.or_(*ranges))))
        return taken


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _read_row(row: Row, columns: Columns, lookups: _Lookups) -> PlannedRow:
    """The row's cells as values: problems that need no database beyond regions and cohorts."""
    cells = {name: row.values[columns.index[name]] if name in columns.index else "" for name in FIELDS}
    planned = PlannedRow(number=row.number, cells=cells)
    if row.row_problem:
        planned.issues.append(Issue(None, row.row_problem))
    for name, position in columns.index.items():
        if position in row.problems:
            planned.issues.append(Issue(name, row.problems[position]))

    planned.full_name = cells["full_name"]
    if not planned.full_name and "full_name" not in _failed(planned):
        planned.fail("full_name", "full_name_missing")
    elif len(planned.full_name) > MAX_FULL_NAME:
        planned.fail("full_name", "full_name_too_long", limit=MAX_FULL_NAME)

    email = normalise_email(cells["email"])
    problem = email_problem(email) if email else None
    if problem is not None:
        planned.fail("email", problem, value=cells["email"])
    else:
        planned.email = email

    if cells["username"]:
        username = cells["username"].strip().lower()
        if USERNAME_RE.match(username):
            planned.username = username
        else:
            planned.fail("username", "username_invalid", value=cells["username"])
    elif not email and "email" not in _failed(planned):
        planned.fail("email", "email_missing")

    if cells["role"]:
        planned.role = parse_role(cells["role"])
        if planned.role is None:
            planned.fail("role", "role_unknown", value=cells["role"])

    if cells["region"]:
        planned.region_code = lookups.regions.find(cells["region"])
        if planned.region_code is None:
            planned.fail("region", "region_unknown", value=cells["region"])

    if cells["cohort"]:
        planned.cohort = lookups.cohort(cells["cohort"])
        if planned.cohort is None:
            planned.fail("cohort", "cohort_unknown", value=cells["cohort"])
        elif planned.cohort.archived_at is not None:
            planned.fail("cohort", "cohort_archived", value=planned.cohort.name)
    return planned


def _failed(row: PlannedRow) -> set[str | None]:
    return {issue.field for issue in row.issues}


def _match(row: PlannedRow, lookups: _Lookups) -> None:
    """Find the account a row is about: by username when given, else by email."""
    by_email = lookups.by_email.get(row.email) if row.email else None
    by_username = lookups.by_username.get(row.username) if row.username else None
    actor = lookups.actor
    if any(
        user is not None and user.id != actor.id and not may_manage(actor, user)
        for user in (by_email, by_username)
    ):
        # Refused without naming the account, its role or its region: else a file of addresses
        # would tell a regional coordinator whose each one is, in every region.
        row.fail(None, "not_manageable")
        return
    if not row.username:
        row.user = by_email
        return
    if by_email is not None and by_email is not by_username:
        if by_username is not None:
            row.fail("email", "email_taken", username=by_email.username)
        else:
            # Usernames are not renamed by an import: the row names a new account with an
            # address that is another account's.
            row.fail(
                "username",
                "username_other_account",
                email=row.email,
                other=by_email.username,
                username=row.username,
            )
    row.user = by_username


def _mark_duplicates(rows: Sequence[PlannedRow]) -> None:
    """Two rows about one person (same address, same username, same account): both are errors."""
    for key_of, field_name, code in (
        (lambda row: row.email, "email", "duplicate_email"),
        (lambda row: row.username, "username", "duplicate_username"),
        (lambda row: row.user.id if row.user is not None else None, None, "duplicate_account"),
    ):
        groups: defaultdict[object, list[PlannedRow]] = defaultdict(list)
        for row in rows:
            key = key_of(row)
            if key is not None and key != "":
                groups[key].append(row)
        for group in groups.values():
            if len(group) < 2:
                continue
            for row in group:
                if any(issue.problem.code.startswith("duplicate_") for issue in row.issues):
                    continue  # one duplicate message per row is enough
                others = [other.number for other in group if other is not row]
                row.fail(field_name, code, rows=others)


def _decide(row: PlannedRow, lookups: _Lookups, *, invite: bool) -> None:
    """Role, region, cohort and permissions; for an existing account, what would change."""
    actor = lookups.actor
    user = row.user
    if any(issue.problem.code == "not_manageable" for issue in row.issues):
        return  # an account the actor may not manage (_match): nothing more is said of it
    failed = _failed(row)
    if user is None:
        role = row.role or Role.CANDIDATE.value
        region = row.region_code
    else:
        # An empty cell leaves the account's value as it is.
        role = row.role or user.role.value
        region = row.region_code or user.region_code
    row.role = role
    row.region_code = region
    if role == Role.CANDIDATE and region is None and not {"role", "region"} & failed:
        row.fail("region", "region_missing")

    if row.cohort is not None and "cohort" not in failed:
        _check_cohort(row, actor)

    if user is not None:
        row.changes = _changes(row, user, lookups)
        if user.id == actor.id:  # any other account here is one the actor manages (_match)
            if row.changes:
                row.fail(None, "own_account")
            return
        if not user.is_active_account:
            row.notes.append(Problem("deactivated"))
        if not row.changes:
            return
    elif invite and not row.email and "email" not in failed:
        row.notes.append(Problem("no_invitation"))

    if {"role", "region"} & failed:
        return
    try:
        check_assignment(actor, role, region)
    except ValidationError as error:
        row.fail(error.field if error.field in ("role", "region") else "role", "text", message=error.message)


def _check_cohort(row: PlannedRow, actor: User) -> None:
    cohort = row.cohort
    if region_limit(actor) is not None:
        row.fail("cohort", "cohort_not_allowed")
    elif row.role != Role.CANDIDATE:
        row.fail("cohort", "cohort_not_candidate")
    elif cohort.region_code and row.region_code and cohort.region_code != row.region_code:
        row.fail(
            "cohort",
            "cohort_region",
            value=cohort.name,
            cohort_region=cohort.region_code,
            region=row.region_code,
        )


def _changes(row: PlannedRow, user: User, lookups: _Lookups) -> list[Change]:
    changes = []
    if row.full_name and row.full_name != user.full_name:
        changes.append(Change("full_name", user.full_name, row.full_name))
    owner = lookups.by_email.get(row.email) if row.email else None
    if row.username and row.email and row.email != user.email and owner in (None, user):
        changes.append(Change("email", user.email, row.email))
    if row.role != user.role.value:
        changes.append(Change("role", user.role.value, row.role))
    if row.region_code != user.region_code:
        changes.append(Change("region_code", user.region_code, row.region_code))
    if row.cohort is not None and (row.cohort.id, user.id) not in lookups.members:
        changes.append(Change("cohort", None, row.cohort.name))
    return changes


def _give_usernames(rows: Sequence[PlannedRow], lookups: _Lookups) -> None:
    """New accounts without a username get one from their name, in file order.

    Every row that names no existing account gets one, even a row with errors: fixing an earlier row
    must not renumber later ones between two previews of the same file.
    """
    wanting = [row for row in rows if row.user is None and not row.username and row.full_name]
    if not wanting:
        return
    bases = {id(row): username_base(row.full_name, row.email) for row in wanting}
    taken = lookups.taken_usernames(bases.values())
    taken.update(row.username for row in rows if row.username)
    for row in wanting:
        row.username = unique_username(bases[id(row)], taken)
        row.username_generated = True
        taken.add(row.username)

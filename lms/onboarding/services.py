"""Bulk import operations: keep an upload, carry out its plan, confirm once, discard. They flush,
never commit: the view or the CLI command owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Region, User, UserImport
from lms.accounts.services import NewAccount, create_accounts, send_invitation, taken_logins, update_user
from lms.audit.services import record
from lms.core.errors import ValidationError
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db
from lms.onboarding.columns import map_columns
from lms.onboarding.messages import describe
from lms.onboarding.planning import Issue, Outcome, Plan, build_plan
from lms.onboarding.problems import FileRefused, Problem
from lms.onboarding.reading import MAX_BYTES, read_table
from lms.progress.cohorts import add_members
from lms.progress.models import Cohort

# The result page lists at most this many skipped rows (the summary is kept with the import).
MAX_KEPT_ERRORS = 500


class ImportRefused(Exception):
    """Confirming wrote nothing: strict mode and rows with errors, or the file itself refused."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("import refused")
        self.plan = plan


@dataclass
class Applied:
    """What carrying out a plan did."""

    counts: dict[str, int]
    invited: int = 0
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)


def store_upload(content: bytes, filename: str, actor: User, *, strict: bool, invite: bool) -> UserImport:
    """Keep an uploaded file for its preview; a file that cannot be read, or lacks a required
    column, is refused now (nothing is kept)."""
    if len(content) > MAX_BYTES:
        too_big = Problem("too_big", megabytes=MAX_BYTES // (1024 * 1024))
        raise ValidationError(too_big.code, describe(too_big), field="file")
    try:
        map_columns(read_table(content).headings)
    except FileRefused as refused:
        raise ValidationError(refused.problem.code, describe(refused.problem), field="file") from None
    user_import = UserImport(
        created_by_id=actor.id,
        filename=_safe_filename(filename),
        content=content,
        summary={"strict": strict, "invite": invite},
    )
    db.session.add(user_import)
    db.session.flush()
    return user_import


def _safe_filename(filename: str) -> str:
    """The name without its folders or control characters, as the pages show it."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:200] or "import"


def visible_import(import_id: int, viewer: User) -> UserImport | None:
    """The import, if `viewer` uploaded it or is an admin; None otherwise (the view answers 404)."""
    user_import = db.session.get(UserImport, import_id)
    if user_import is None:
        return None
    if viewer.role != Role.ADMIN and user_import.created_by_id != viewer.id:
        return None
    return user_import


def recent_imports(viewer: User, limit: int = 10) -> list[UserImport]:
    """The viewer's latest imports (an admin's list shows everybody's)."""
    query = sa.select(UserImport).order_by(UserImport.created_at.desc(), UserImport.id.desc()).limit(limit)
    if viewer.role != Role.ADMIN:
        query = query.where(UserImport.created_by_id == viewer.id)
    return list(db.session.scalars(query))


def apply_plan(plan: Plan, *, invite: bool, strict: bool, actor: User | None = None) -> Applied:
    """Create and update the accounts of a plan's good rows; rows with errors are left out.

    The checks ran in this transaction just before. New accounts are written together
    (`create_accounts`: one INSERT, not a flush each); a username or address another writer took
    meanwhile (PostgreSQL) turns that row into an error like the others.
    """
    if plan.refused is not None or (strict and plan.counts()["error"]):
        raise ImportRefused(plan)
    # The account services look each row's region up by key; the session keeps an object only
    # while something references it, so holding the regions spares a query per row.
    regions = db.session.scalars(sa.select(Region)).all()
    new_rows = [row for row in plan.rows if row.outcome == Outcome.NEW]
    _drop_taken(new_rows, strict=strict, plan=plan)
    new_rows = [row for row in new_rows if row.outcome == Outcome.NEW]
    accounts = [
        NewAccount(row.username, row.role, row.region_code, row.full_name, row.email) for row in new_rows
    ]
    try:
        created = create_accounts(accounts, actor=actor)
    except ValidationError:
        raise ImportRefused(plan) from None
    invited = 0
    joining: dict[int, tuple[Cohort, list[User]]] = {}
    for row, user in zip(new_rows, created, strict=True):
        if row.cohort is not None:
            joining.setdefault(row.cohort.id, (row.cohort, []))[1].append(user)
        if invite and send_invitation(user):
            invited += 1
    for row in plan.rows:
        if row.outcome != Outcome.UPDATE:
            continue
        try:
            fields = {change.field: change.new for change in row.changes if change.field != "cohort"}
            if fields:
                update_user(row.user, **fields)
        except ValidationError as error:
            if strict:
                raise ImportRefused(plan) from None
            field_name = error.field if error.field in row.cells else None
            row.issues.append(Issue(field_name, Problem("text", message=error.message)))
            continue
        if any(change.field == "cohort" for change in row.changes):
            joining.setdefault(row.cohort.id, (row.cohort, []))[1].append(row.user)
    try:
        for cohort, members in joining.values():
            add_members(cohort, members)  # the plan checked role and region; one audit event each
    except ValidationError:
        raise ImportRefused(plan) from None
    db.session.flush()
    del regions
    counts = plan.counts()
    skipped = [
        (row.number, plan.column(issue.field), describe(issue.problem))
        for row in plan.rows
        for issue in row.issues
    ]
    return Applied(counts=counts, invited=invited, skipped=skipped)


def _drop_taken(rows: list, *, strict: bool, plan: Plan) -> None:
    """Rows whose username or email another account took since the plan was checked: errors."""
    taken_names, taken_emails = taken_logins(
        [row.username for row in rows], [row.email for row in rows if row.email]
    )
    for row in rows:
        field_name = (
            "username" if row.username in taken_names else "email" if row.email in taken_emails else None
        )
        if field_name is None:
            continue
        if strict:
            raise ImportRefused(plan)
        if field_name == "username":
            message = _l("The username %(username)s is taken.", username=row.username)
        else:
            message = _l("Another account uses this email address.")
        cell = field_name if field_name in row.cells else None
        row.issues.append(Issue(cell, Problem("text", message=message)))


def claim(user_import: UserImport) -> bool:
    """Mark a previewed import applied, once: False when another request already confirmed or
    discarded it. One conditional UPDATE, so two tabs or a double click cannot both win (on
    PostgreSQL the second waits for the first's row lock, then finds the status changed)."""
    result = db.session.execute(
        sa.update(UserImport)
        .where(UserImport.id == user_import.id, UserImport.status == "previewed")
        .values(status="applied", applied_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user_import)
    return result.rowcount == 1


def confirm_import(user_import: UserImport, actor: User) -> Applied | None:
    """Re-read and re-check the kept file, then write its good rows in this transaction.

    None when the import was already confirmed or discarded (the second click changes nothing).
    Raises ImportRefused when nothing may be written; the caller rolls back, the import stays open.
    """
    if not claim(user_import):
        return None
    options = dict(user_import.summary or {})
    strict, invite = bool(options.get("strict")), bool(options.get("invite"))
    plan = build_plan(user_import.content, actor, invite=invite)
    applied = apply_plan(plan, invite=invite, strict=strict, actor=actor)
    user_import.summary = {
        **options,
        "counts": applied.counts,
        "invited": applied.invited,
        "skipped": [list(item) for item in applied.skipped[:MAX_KEPT_ERRORS]],
        "skipped_more": max(0, len(applied.skipped) - MAX_KEPT_ERRORS),
        "confirmed_by": actor.username,
    }
    # The people's data is in the accounts now; the file is not kept longer than needed.
    user_import.content = b""
    db.session.flush()
    record_import(applied, filename=user_import.filename, strict=strict, target=user_import, actor=actor)
    return applied


def record_import(applied: Applied, *, filename: str, strict: bool, target=None, actor=None) -> None:
    """The one audit record of a confirmed import (each account's own create/update is recorded by
    the account services)."""
    record(
        "user.import",
        target=target,
        target_type="user_import",
        target_label=filename,
        details={
            "filename": filename,
            "strict": strict,
            "counts": applied.counts,
            "invited": applied.invited,
        },
        actor=actor,
    )


def discard_stale_imports(older_than: timedelta) -> int:
    """Discard imports left unconfirmed for longer than `older_than`, dropping their files (the
    people's data in them is kept no longer than needed); returns how many. For a cleanup job."""
    result = db.session.execute(
        sa.update(UserImport)
        .where(UserImport.status == "previewed", UserImport.created_at < utcnow() - older_than)
        .values(status="discarded", content=b"")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def discard_import(user_import: UserImport) -> bool:
    """Drop a previewed import and its file; False when it was already confirmed or discarded."""
    if user_import.status != "previewed":
        return False
    result = db.session.execute(
        sa.update(UserImport)
        .where(UserImport.id == user_import.id, UserImport.status == "previewed")
        .values(status="discarded", content=b"")
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user_import)
    return result.rowcount == 1

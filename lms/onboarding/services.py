"""Bulk import operations: keep an upload, carry out its plan, confirm once, discard. They flush,
never commit: the view or the CLI command owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import Region, User, UserImport
from lms.accounts.services import create_user, send_invitation, update_user
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
from lms.progress.cohorts import add_member

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
        raise ValidationError("file", describe(Problem("too_big", megabytes=MAX_BYTES // (1024 * 1024))))
    try:
        map_columns(read_table(content).headings)
    except FileRefused as refused:
        raise ValidationError("file", describe(refused.problem)) from None
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


def apply_plan(plan: Plan, *, invite: bool, strict: bool) -> Applied:
    """Create and update the accounts of a plan's good rows; rows with errors are left out.

    The checks ran in this transaction just before; a service that still refuses a row (another
    writer got there first, on PostgreSQL) turns that row into an error like the others.
    """
    if plan.refused is not None or (strict and plan.counts()["error"]):
        raise ImportRefused(plan)
    invited = 0
    # The account services look each row's region up by key; the session keeps an object only
    # while something references it, so holding the regions spares a query per row.
    regions = db.session.scalars(sa.select(Region)).all()
    for row in plan.rows:
        outcome = row.outcome
        try:
            if outcome == Outcome.NEW:
                user = create_user(
                    row.username,
                    None,
                    row.role,
                    region_code=row.region_code,
                    full_name=row.full_name,
                    email=row.email,
                )
                if row.cohort is not None:
                    add_member(row.cohort, user)
                if invite and send_invitation(user):
                    invited += 1
            elif outcome == Outcome.UPDATE:
                fields = {change.field: change.new for change in row.changes if change.field != "cohort"}
                if fields:
                    update_user(row.user, **fields)
                if any(change.field == "cohort" for change in row.changes):
                    add_member(row.cohort, row.user)
        except ValidationError as error:
            if strict:
                raise ImportRefused(plan) from None
            field_name = error.field if error.field in row.cells else None
            row.issues.append(Issue(field_name, Problem("text", message=error.message)))
    del regions
    counts = plan.counts()
    skipped = [
        (row.number, plan.column(issue.field), describe(issue.problem))
        for row in plan.rows
        for issue in row.issues
    ]
    return Applied(counts=counts, invited=invited, skipped=skipped)


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
    applied = apply_plan(plan, invite=invite, strict=strict)
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

"""Cron jobs that every app node may start: at most one run of each job at a time, school-wide.

On PostgreSQL a run takes a transaction-scoped advisory lock named after the job
(`pg_try_advisory_xact_lock`): a second run on another node finds it taken and does nothing, and
the lock goes with the transaction (commit, rollback, or a killed process), so it is safe behind a
transaction-pooling PgBouncer and can never be left behind. A job that uses it must do its work in
that one transaction. SQLite is one file on one machine: its write lock orders runs already.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from lms.extensions import db


def lock_key(job: str) -> int:
    """A stable signed 64-bit key per job name (advisory locks are keyed by bigint)."""
    digest = hashlib.sha256(f"lms-job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim(job: str, *, wait: bool = False) -> bool:
    """Take the job for this transaction; False when a run of it is in progress elsewhere.

    With `wait`, queue behind that run instead (for idempotent jobs whose second run should still
    happen and find nothing left to do, as the daily digest's does)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(job))))
        return True
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(lock_key(job)))))

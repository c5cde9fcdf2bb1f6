"""at-risk lists: one partial index per long list, in the list's order; no lone region index

A region's inactive, not-started and overdue lists each read their page as the first rows of an
index holding only that list's open enrolments, in the list's own order (insights.RISK_ORDER),
instead of sorting all of the region's open enrolments for every page. The overdue list orders the
never-active first within a due date: PostgreSQL's index says NULLS FIRST, SQLite's order already
puts NULL first (and takes no NULLS FIRST in an index). ix_enrolments_region_code goes: every
region index starts with the region, so it only cost each enrolment write.

Revision ID: c5e8a2d4f6b1
Revises: b3e1d5a7c9f2
Create Date: 2026-12-07 00:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e8a2d4f6b1"
down_revision = "b3e1d5a7c9f2"
branch_labels = None
depends_on = None

IDLE = "completed_at IS NULL AND last_activity_at IS NOT NULL"
WAITING = "completed_at IS NULL AND last_activity_at IS NULL"
OVERDUE = "status = 'overdue' AND completed_at IS NULL"


def _partial(name: str, columns: list, where: str) -> None:
    condition = sa.text(where)
    op.create_index(name, "enrolments", columns, sqlite_where=condition, postgresql_where=condition)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    _partial("ix_enrolments_region_idle", ["region_code", "last_activity_at", "id"], IDLE)
    _partial("ix_enrolments_region_waiting", ["region_code", "enrolled_at", "id"], WAITING)
    idle_first = sa.text("last_activity_at NULLS FIRST") if postgresql else "last_activity_at"
    _partial("ix_enrolments_region_overdue", ["region_code", "due_on", idle_first, "id"], OVERDUE)
    op.drop_index("ix_enrolments_region_code", table_name="enrolments")


def downgrade():
    op.create_index("ix_enrolments_region_code", "enrolments", ["region_code"])
    op.drop_index("ix_enrolments_region_overdue", table_name="enrolments")
    op.drop_index("ix_enrolments_region_waiting", table_name="enrolments")
    op.drop_index("ix_enrolments_region_idle", table_name="enrolments")

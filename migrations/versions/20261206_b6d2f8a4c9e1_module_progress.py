"""module progress: a candidate's opened and completed live items per module, for the heatmap

A rollup of lesson_progress (lms.progress.module_rollup): the course heatmap reads one row per
candidate and module instead of every progress row. Filled here from the existing progress rows;
the app keeps it current from then on.

Revision ID: b6d2f8a4c9e1
Revises: f7a2c9e4d1b3
Create Date: 2026-12-06 21:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b6d2f8a4c9e1"
down_revision = "f7a2c9e4d1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "module_progress",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_module_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_module_progress_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "module_id", name=op.f("pk_module_progress")),
    )
    op.create_index("ix_module_progress_module_id", "module_progress", ["module_id"])
    op.execute(BACKFILL)


# The same count as lms.progress.module_rollup.rebuild, over live items only (a test compares them).
BACKFILL = (
    "INSERT INTO module_progress (user_id, module_id, opened, done) "
    "SELECT lesson_progress.user_id, lessons.module_id, count(*), count(lesson_progress.completed_at) "
    "FROM lesson_progress JOIN lessons ON lessons.id = lesson_progress.lesson_id "
    "WHERE lessons.archived_at IS NULL "
    "GROUP BY lesson_progress.user_id, lessons.module_id"
)


def downgrade():
    op.drop_index("ix_module_progress_module_id", table_name="module_progress")
    op.drop_table("module_progress")

"""courses and modules: prerequisites (`requires`) and release dates (`opens`)

What each course and module requires and when it opens, as written in its front matter, and on
the course a summary of every gate in it (`gates`), so a lesson page checks its locks from the
course row it already has. Existing content has none: empty lists, no dates.

Revision ID: e3b9d47a1c52
Revises: c4f1a8e2d307
Create Date: 2026-12-06 16:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3b9d47a1c52"
down_revision = "c4f1a8e2d307"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("courses", "modules"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("requires", sa.JSON(), server_default="[]", nullable=False))
            batch_op.add_column(sa.Column("opens_on", sa.Date(), nullable=True))
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gates", sa.JSON(), server_default="{}", nullable=False))


def downgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("gates")
    for table in ("modules", "courses"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("opens_on")
            batch_op.drop_column("requires")

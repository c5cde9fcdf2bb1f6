"""courses: what the completion rule asks beyond items (`completion: {attendance: ...}`)

The requirements a course's completion rule names besides its items, as written in its front
matter (for now the attendance of a seminar), answered above content through
`progress.signals.requirement_met`. Existing courses ask for none: empty lists.

Revision ID: f7a2c9e4d1b3
Revises: 9a4c6e8d2b17
Create Date: 2026-12-06 19:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f7a2c9e4d1b3"
down_revision = "9a4c6e8d2b17"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("completion_requirements", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("completion_requirements")

"""users: the low-vision version chosen by the user

Remembered on the account so it follows the person to any browser they sign in from
(lms.accounts.low_vision); existing accounts start with the normal version.

Revision ID: c4f1a8e2d307
Revises: 09c4c6adce2c
Create Date: 2026-12-06 15:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4f1a8e2d307"
down_revision = "09c4c6adce2c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("low_vision", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("low_vision")

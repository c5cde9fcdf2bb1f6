"""login attempts: the known browser (device cookie) an attempt came from

Login throttling counts failed passwords from a browser that signed in before apart from those
from unknown browsers, so a guesser elsewhere cannot lock the owner out.

Revision ID: b7e2c4d91f3a
Revises: 5545fc5e0a27
Create Date: 2026-12-06 13:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e2c4d91f3a"
down_revision = "5545fc5e0a27"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_column("device")

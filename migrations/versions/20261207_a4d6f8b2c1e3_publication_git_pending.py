"""authoring publications: git_pending, the git commit waits for the database commit

A publish commits to git only after its database transaction committed; until that git commit
succeeds the publication is marked pending, and the next publish or `flask lms publish-git`
commits it.

Revision ID: a4d6f8b2c1e3
Revises: c5e8a2d4f6b1
Create Date: 2026-12-07 04:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4d6f8b2c1e3"
down_revision = "c5e8a2d4f6b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authoring_publications") as batch_op:
        batch_op.add_column(sa.Column("git_pending", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("authoring_publications") as batch_op:
        batch_op.drop_column("git_pending")

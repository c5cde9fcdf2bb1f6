"""authoring removals: a draft can remove a file, and a publication records a file it removed

Moving an item to another module moves its file: the new path is a new draft, the old path a
removal draft; publish deletes the file and history (and git) record the removal.

Revision ID: b8e1d3f5a7c9
Revises: a4d6f8b2c1e3
Create Date: 2026-12-07 07:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e1d3f5a7c9"
down_revision = "a4d6f8b2c1e3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authoring_drafts") as batch_op:
        batch_op.add_column(sa.Column("removed", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("authoring_publication_files") as batch_op:
        batch_op.add_column(sa.Column("removed", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("authoring_publication_files") as batch_op:
        batch_op.drop_column("removed")
    with op.batch_alter_table("authoring_drafts") as batch_op:
        batch_op.drop_column("removed")

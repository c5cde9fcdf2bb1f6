"""content renames: the old ids of renamed courses, modules and items lead to their new ids

A page open across an import that renamed its item (`renamed_from`) posted to an address that no
longer existed: a 404, and the answer typed meanwhile was lost. Old ids are kept with the id each
leads to now, and a 404 under one is sent on (308) to the new address.

Revision ID: d6f8b0c2e4a7
Revises: b8e1d3f5a7c9
Create Date: 2026-12-07 22:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d6f8b0c2e4a7"
down_revision = "b8e1d3f5a7c9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_renames",
        sa.Column("old_key", sa.String(length=80), nullable=False),
        sa.Column("new_key", sa.String(length=80), nullable=False),
        sa.Column("renamed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_key", name=op.f("pk_content_renames")),
    )


def downgrade():
    op.drop_table("content_renames")

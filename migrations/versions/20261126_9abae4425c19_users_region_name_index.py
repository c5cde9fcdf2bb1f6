"""users: index candidates by region in name order

The region dashboard lists one region's candidates sorted by name; this index serves it as an
index-only scan and replaces the plain region index, whose job (the region foreign key, region
filters) its first column still does.

Revision ID: 9abae4425c19
Revises: d5adb71dd3ee
Create Date: 2026-11-26 00:08:17.032817

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9abae4425c19"
down_revision = "d5adb71dd3ee"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_region_code"))
        batch_op.create_index(
            "ix_users_region_name", ["region_code", "full_name", "username", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_region_name")
        batch_op.create_index(batch_op.f("ix_users_region_code"), ["region_code"], unique=False)

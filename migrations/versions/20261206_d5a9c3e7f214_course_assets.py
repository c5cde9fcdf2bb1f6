"""course_assets: the images a course shows, stored content-addressed at import

Revision ID: d5a9c3e7f214
Revises: a7d3e5f1c2b8
Create Date: 2026-12-06 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5a9c3e7f214"
down_revision = "a7d3e5f1c2b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_assets",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("path_in_course", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("course_id", "path_in_course"),
    )


def downgrade():
    op.drop_table("course_assets")

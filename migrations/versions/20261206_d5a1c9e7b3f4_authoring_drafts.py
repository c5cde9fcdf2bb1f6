"""authoring drafts: course files edited in the browser, kept until publish writes them to disk

Revision ID: d5a1c9e7b3f4
Revises: d5a8c3e7f104
Create Date: 2026-12-06 18:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5a1c9e7b3f4"
down_revision = "d5a8c3e7f104"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "authoring_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("course_dir", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path", name="uq_authoring_drafts_path"),
    )
    with op.batch_alter_table("authoring_drafts", schema=None) as batch_op:
        batch_op.create_index("ix_authoring_drafts_course_dir", ["course_dir"], unique=False)


def downgrade():
    with op.batch_alter_table("authoring_drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_authoring_drafts_course_dir")
    op.drop_table("authoring_drafts")

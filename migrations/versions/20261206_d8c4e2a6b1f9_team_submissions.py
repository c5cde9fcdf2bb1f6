"""team submissions: one shared submission per (assignment, region) and its contributions

A team assignment (`team: region`) keeps its work in `submissions`, marked with the region whose
candidates share it; individual submissions leave the column NULL, so nothing of theirs changes.

Revision ID: d8c4e2a6b1f9
Revises: d5a9c3e7f214
Create Date: 2026-12-06 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8c4e2a6b1f9"
down_revision = "d5a9c3e7f214"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_region_code", sa.String(length=3), nullable=True))
        batch_op.create_foreign_key(
            "fk_submissions_team_region_code_regions", "regions", ["team_region_code"], ["code"]
        )
        batch_op.create_unique_constraint("uq_submissions_item_team_region", ["item_id", "team_region_code"])

    op.create_table(
        "submission_contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("words_before", sa.Integer(), nullable=False),
        sa.Column("words_after", sa.Integer(), nullable=False),
        sa.Column("words_added", sa.Integer(), nullable=False),
        sa.Column("words_removed", sa.Integer(), nullable=False),
        sa.Column("files_added", sa.Integer(), nullable=False),
        sa.Column("files_removed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_submission_contributions_submission_id", "submission_contributions", ["submission_id"]
    )


def downgrade():
    op.drop_index("ix_submission_contributions_submission_id", table_name="submission_contributions")
    op.drop_table("submission_contributions")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_submissions_item_team_region", type_="unique")
        batch_op.drop_constraint("fk_submissions_team_region_code_regions", type_="foreignkey")
        batch_op.drop_column("team_region_code")

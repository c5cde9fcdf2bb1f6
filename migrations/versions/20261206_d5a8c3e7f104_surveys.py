"""surveys: who answered (to answer once) and the answers, kept apart

`survey_participations` is keyed by (survey, user) alone: no id, no time. `survey_responses` has a
random UUID key, the day only, and no user for an anonymous survey, so nothing joins the two.

Revision ID: d5a8c3e7f104
Revises: d8c4e2a6b1f9
Create Date: 2026-12-06 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5a8c3e7f104"
down_revision = "d8c4e2a6b1f9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_participations",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["lessons.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("survey_id", "user_id"),
        sqlite_with_rowid=False,  # no hidden insertion counter to line up with the responses
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=10), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["lessons.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_responses_survey_region", "survey_responses", ["survey_id", "region_code"])


def downgrade():
    op.drop_index("ix_survey_responses_survey_region", table_name="survey_responses")
    op.drop_table("survey_responses")
    op.drop_table("survey_participations")

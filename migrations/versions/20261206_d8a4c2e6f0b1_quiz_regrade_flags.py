"""quiz regrade flags: an import changed a question's answer key after attempts answered it;
answers remember the version that graded them after an explicit regrade

Revision ID: d8a4c2e6f0b1
Revises: d5a1c9e7b3f4
Create Date: 2026-12-06 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8a4c2e6f0b1"
down_revision = "d5a1c9e7b3f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quiz_regrade_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=80), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["lessons.id"],
            name=op.f("fk_quiz_regrade_flags_quiz_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["question_versions.id"],
            name=op.f("fk_quiz_regrade_flags_version_id_question_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_quiz_regrade_flags_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_regrade_flags")),
    )
    op.create_index("ix_quiz_regrade_flags_quiz_open", "quiz_regrade_flags", ["quiz_id", "resolved_at"])
    with op.batch_alter_table("quiz_attempt_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("graded_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_quiz_attempt_answers_graded_version_id_question_versions"),
            "question_versions",
            ["graded_version_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("quiz_attempt_answers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_quiz_attempt_answers_graded_version_id_question_versions"), type_="foreignkey"
        )
        batch_op.drop_column("graded_version_id")
    op.drop_index("ix_quiz_regrade_flags_quiz_open", table_name="quiz_regrade_flags")
    op.drop_table("quiz_regrade_flags")

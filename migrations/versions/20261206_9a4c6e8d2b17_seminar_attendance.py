"""seminar attendance: one mark per participant and session; a seminar's attendance requirement

Revision ID: 9a4c6e8d2b17
Revises: 5e1a2b3c4d6f
Create Date: 2026-12-06 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9a4c6e8d2b17"
down_revision = "5e1a2b3c4d6f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "seminar_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('present', 'late', 'absent', 'excused')", name="ck_seminar_attendance_status"
        ),
        sa.ForeignKeyConstraint(["session_id"], ["seminar_sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["marked_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
        sa.UniqueConstraint("session_id", "user_id", name="uq_seminar_attendance_session_user"),
    )
    op.create_index("ix_seminar_attendance_user", "seminar_attendance", ["user_id"])
    with op.batch_alter_table("seminars", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendance_required_percent", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("seminars", schema=None) as batch_op:
        batch_op.drop_column("attendance_required_percent")
    op.drop_index("ix_seminar_attendance_user", table_name="seminar_attendance")
    op.drop_table("seminar_attendance")

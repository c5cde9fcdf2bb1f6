"""completions and certificates: the completion rule's item kinds, completions, certificates and
the verification page's look-up counter

A course's completion rule may name the item kinds that count (`completion: {lessons: all,
quizzes: passed, ...}`); existing courses count every kind, as before. A completion is recorded
once per candidate and course, with its certificate; look-ups on the public verification page are
counted per client address in the database, so that every worker shares the limit.

Revision ID: c3e7a1f05b92
Revises: e3b9d47a1c52
Create Date: 2026-12-06 16:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3e7a1f05b92"
down_revision = "e3b9d47a1c52"
branch_labels = None
depends_on = None

EVERY_KIND = '["lesson", "quiz", "scenario", "assignment"]'


def upgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "completion_items", sa.JSON(), nullable=False, server_default=sa.text(f"'{EVERY_KIND}'")
            )
        )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.alter_column("completion_items", server_default=None)

    op.create_table(
        "course_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lapsed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_completions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_course_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_completions")),
        sa.UniqueConstraint("user_id", "course_id", name="uq_course_completions_user_course"),
    )
    with op.batch_alter_table("course_completions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_completions_course_id"), ["course_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("course_title", sa.String(length=300), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["course_completions.id"],
            name=op.f("fk_certificates_completion_id_course_completions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_certificates_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_certificates_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_certificates_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("completion_id", name=op.f("uq_certificates_completion_id")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_user_id"), ["user_id"], unique=False)

    op.create_table(
        "certificate_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_lookups")),
    )
    with op.batch_alter_table("certificate_lookups", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_lookups_address_at", ["address", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_lookups_at"), ["at"], unique=False)


def downgrade():
    op.drop_table("certificate_lookups")
    op.drop_table("certificates")
    op.drop_table("course_completions")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("completion_items")

"""authoring publications: each publish of a course (who, when, git commit) and its files' texts

Revision ID: e5b7d9f1a3c6
Revises: d8a4c2e6f0b1
Create Date: 2026-12-06 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5b7d9f1a3c6"
down_revision = "d8a4c2e6f0b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "authoring_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_dir", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("git_commit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_authoring_publications_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authoring_publications")),
    )
    op.create_index("ix_authoring_publications_course_dir", "authoring_publications", ["course_dir", "id"])
    op.create_table(
        "authoring_publication_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("old_hash", sa.String(length=64), nullable=True),
        sa.Column("new_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("old_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["authoring_publications.id"],
            name=op.f("fk_authoring_publication_files_publication_id_authoring_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authoring_publication_files")),
    )
    op.create_index(
        "ix_authoring_publication_files_path", "authoring_publication_files", ["path", "publication_id"]
    )


def downgrade():
    op.drop_index("ix_authoring_publication_files_path", table_name="authoring_publication_files")
    op.drop_table("authoring_publication_files")
    op.drop_index("ix_authoring_publications_course_dir", table_name="authoring_publications")
    op.drop_table("authoring_publications")

"""seminars: seminars, their invites, programme sessions, materials and linked course items

Revision ID: 5e1a2b3c4d6f
Revises: e5b7d9f1a3c6
Create Date: 2026-12-06 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1a2b3c4d6f"
down_revision = "e5b7d9f1a3c6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "seminars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("summary_md", sa.Text(), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("source_path", sa.String(length=500), nullable=True),
        sa.Column("source_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "seminar_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seminar_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.String(length=3), nullable=True),
        sa.CheckConstraint(
            "(cohort_id IS NULL) <> (region_id IS NULL)", name="ck_seminar_invites_one_target"
        ),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_id"], ["regions.code"]),
        sa.ForeignKeyConstraint(["seminar_id"], ["seminars.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_seminar_invites_cohort",
        "seminar_invites",
        ["seminar_id", "cohort_id"],
        unique=True,
        sqlite_where=sa.text("cohort_id IS NOT NULL"),
        postgresql_where=sa.text("cohort_id IS NOT NULL"),
    )
    op.create_index(
        "uq_seminar_invites_region",
        "seminar_invites",
        ["seminar_id", "region_id"],
        unique=True,
        sqlite_where=sa.text("region_id IS NOT NULL"),
        postgresql_where=sa.text("region_id IS NOT NULL"),
    )
    op.create_index("ix_seminar_invites_seminar_id", "seminar_invites", ["seminar_id"])
    op.create_index("ix_seminar_invites_cohort_id", "seminar_invites", ["cohort_id"])
    op.create_index("ix_seminar_invites_region_id", "seminar_invites", ["region_id"])
    op.create_table(
        "seminar_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seminar_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("description_md", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("speakers", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seminar_id"], ["seminars.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seminar_id", "key", name="uq_seminar_sessions_seminar_key"),
    )
    op.create_index("ix_seminar_sessions_seminar_day", "seminar_sessions", ["seminar_id", "day", "position"])
    op.create_table(
        "seminar_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["seminar_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
        sa.UniqueConstraint("session_id", "sha256", name="uq_seminar_materials_session_sha256"),
    )
    op.create_index("ix_seminar_materials_session_id", "seminar_materials", ["session_id"])
    op.create_table(
        "seminar_session_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("module_key", sa.String(length=80), nullable=True),
        sa.Column("item_key", sa.String(length=80), nullable=True),
        sa.Column("relation", sa.String(length=12), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["seminar_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "session_id", "course_id", "module_key", "item_key", "relation", name="uq_seminar_session_links"
        ),
    )
    op.create_index("ix_seminar_session_links_session_id", "seminar_session_links", ["session_id"])
    op.create_index("ix_seminar_session_links_course_id", "seminar_session_links", ["course_id"])


def downgrade():
    op.drop_index("ix_seminar_session_links_course_id", table_name="seminar_session_links")
    op.drop_index("ix_seminar_session_links_session_id", table_name="seminar_session_links")
    op.drop_table("seminar_session_links")
    op.drop_index("ix_seminar_materials_session_id", table_name="seminar_materials")
    op.drop_table("seminar_materials")
    op.drop_index("ix_seminar_sessions_seminar_day", table_name="seminar_sessions")
    op.drop_table("seminar_sessions")
    op.drop_index("uq_seminar_invites_region", table_name="seminar_invites")
    op.drop_index("uq_seminar_invites_cohort", table_name="seminar_invites")
    op.drop_index("ix_seminar_invites_region_id", table_name="seminar_invites")
    op.drop_index("ix_seminar_invites_cohort_id", table_name="seminar_invites")
    op.drop_index("ix_seminar_invites_seminar_id", table_name="seminar_invites")
    op.drop_table("seminar_invites")
    op.drop_table("seminars")

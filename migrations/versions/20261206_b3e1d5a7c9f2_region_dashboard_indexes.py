"""enrolments: covering indexes for a region's at-risk lists and completion chart

The at-risk lists of a region count and page the open enrolments (not completed) by their last
activity, enrolment date, status and quiz flag; the region page groups the region's completions
by day. Both read these indexes alone instead of fetching every enrolment row of the region.

Revision ID: b3e1d5a7c9f2
Revises: f7a2c9e4d1b3
Create Date: 2026-12-06 21:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b3e1d5a7c9f2"
down_revision = "f7a2c9e4d1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_enrolments_region_open",
        "enrolments",
        [
            "region_code",
            "completed_at",
            "course_id",
            "last_activity_at",
            "enrolled_at",
            "status",
            "stuck_on_quiz",
            "due_on",
        ],
    )
    op.create_index(
        "ix_enrolments_region_completions",
        "enrolments",
        ["region_code", "course_id", "completed_at", "due_on"],
    )


def downgrade():
    op.drop_index("ix_enrolments_region_completions", table_name="enrolments")
    op.drop_index("ix_enrolments_region_open", table_name="enrolments")

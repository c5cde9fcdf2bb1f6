"""region dashboards: completions per region, course and week; covering indexes for a region

`region_course_weeks` is a rollup kept in the same transaction as each completion (and by
`flask lms rollups --rebuild`); the region page's chart reads it instead of grouping the region's
enrolments. It is filled here from the enrolments. The at-risk lists of a region count and page
the open enrolments (not completed) by their last activity, enrolment date, status and quiz flag
from ix_enrolments_region_open alone; ix_enrolments_region_course_status gains due_on, so a
region's latest due date per course is read from the index, not from its rows.

Revision ID: b3e1d5a7c9f2
Revises: b6d2f8a4c9e1
Create Date: 2026-12-06 21:20:00.000000

"""

from datetime import UTC, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3e1d5a7c9f2"
down_revision = "b6d2f8a4c9e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "region_course_weeks",
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("region_code", "course_id", "week_start"),
    )
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
    op.drop_index("ix_enrolments_region_course_status", table_name="enrolments")
    op.create_index(
        "ix_enrolments_region_course_status", "enrolments", ["region_code", "course_id", "status", "due_on"]
    )
    _backfill_weeks()


def _backfill_weeks():
    """Completions per region, course and Monday of the completion's UTC day, as rebuild_stats counts them."""
    enrolments = sa.table(
        "enrolments",
        sa.column("region_code", sa.String),
        sa.column("course_id", sa.Integer),
        sa.column("completed_at", sa.DateTime(timezone=True)),
    )
    weeks: dict = {}
    rows = op.get_bind().execute(
        sa.select(enrolments.c.region_code, enrolments.c.course_id, enrolments.c.completed_at).where(
            enrolments.c.region_code.is_not(None), enrolments.c.completed_at.is_not(None)
        )
    )
    for region_code, course_id, completed_at in rows:
        moment = completed_at if completed_at.tzinfo else completed_at.replace(tzinfo=UTC)
        day = moment.astimezone(UTC).date()
        key = (region_code, course_id, day - timedelta(days=day.weekday()))
        weeks[key] = weeks.get(key, 0) + 1
    if weeks:
        table = sa.table(
            "region_course_weeks",
            sa.column("region_code", sa.String),
            sa.column("course_id", sa.Integer),
            sa.column("week_start", sa.Date),
            sa.column("completions", sa.Integer),
        )
        op.bulk_insert(
            table,
            [
                {"region_code": region, "course_id": course, "week_start": week, "completions": count}
                for (region, course, week), count in weeks.items()
            ],
        )


def downgrade():
    op.drop_index("ix_enrolments_region_course_status", table_name="enrolments")
    op.create_index(
        "ix_enrolments_region_course_status", "enrolments", ["region_code", "course_id", "status"]
    )
    op.drop_index("ix_enrolments_region_open", table_name="enrolments")
    op.drop_table("region_course_weeks")

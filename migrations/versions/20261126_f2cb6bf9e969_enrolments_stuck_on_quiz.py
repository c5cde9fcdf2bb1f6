"""enrolments: stuck_on_quiz, the at-risk list's rollup

"Failed a quiz twice without passing it" was a GROUP BY over every quiz attempt on each request
of the at-risk page; it is now a flag on the enrolment that quiz grading keeps current. Existing
enrolments get theirs computed here.

Revision ID: f2cb6bf9e969
Revises: 0ecf33ed174d
Create Date: 2026-11-26 01:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2cb6bf9e969"
down_revision = "0ecf33ed174d"
branch_labels = None
depends_on = None

enrolments = sa.table(
    "enrolments",
    sa.column("user_id", sa.Integer),
    sa.column("course_id", sa.Integer),
    sa.column("stuck_on_quiz", sa.Boolean),
)
attempts = sa.table(
    "quiz_attempts",
    sa.column("user_id", sa.Integer),
    sa.column("quiz_id", sa.Integer),
    sa.column("passed", sa.Boolean),
    sa.column("submitted_at", sa.DateTime),
)
lessons = sa.table("lessons", sa.column("id", sa.Integer), sa.column("course_id", sa.Integer))


def upgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stuck_on_quiz", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    failed = sa.func.sum(sa.case((attempts.c.passed.is_(False), 1), else_=0))
    passed = sa.func.sum(sa.case((attempts.c.passed.is_(True), 1), else_=0))
    stuck = sa.exists(
        sa.select(attempts.c.quiz_id)
        .join(lessons, lessons.c.id == attempts.c.quiz_id)
        .where(
            attempts.c.user_id == enrolments.c.user_id,
            lessons.c.course_id == enrolments.c.course_id,
            attempts.c.submitted_at.is_not(None),
        )
        .group_by(attempts.c.quiz_id)
        .having(failed >= 2, passed == 0)
    )
    op.get_bind().execute(enrolments.update().where(stuck).values(stuck_on_quiz=True))


def downgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("stuck_on_quiz")

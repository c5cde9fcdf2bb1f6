"""courses: the order of live items, kept by the importer

Lesson pages read their previous and next items from this list instead of querying modules and
lessons on every request. Existing courses get theirs filled here; imports keep it current.

Revision ID: 0ecf33ed174d
Revises: 9abae4425c19
Create Date: 2026-11-26 00:50:12.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0ecf33ed174d"
down_revision = "9abae4425c19"
branch_labels = None
depends_on = None

courses = sa.table("courses", sa.column("id", sa.Integer), sa.column("item_order", sa.JSON))
modules = sa.table(
    "modules",
    sa.column("id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("archived_at", sa.DateTime),
)
lessons = sa.table(
    "lessons",
    sa.column("id", sa.Integer),
    sa.column("course_id", sa.Integer),
    sa.column("module_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("kind", sa.String),
    sa.column("title", sa.String),
    sa.column("position", sa.Integer),
    sa.column("archived_at", sa.DateTime),
)


def upgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_order", sa.JSON(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    orders: dict[int, list] = {course_id: [] for (course_id,) in connection.execute(sa.select(courses.c.id))}
    items = connection.execute(
        sa.select(lessons.c.course_id, lessons.c.id, lessons.c.key, lessons.c.kind, lessons.c.title)
        .join(modules, modules.c.id == lessons.c.module_id)
        .where(lessons.c.archived_at.is_(None), modules.c.archived_at.is_(None))
        .order_by(lessons.c.course_id, modules.c.position, lessons.c.position)
    )
    for course_id, item_id, key, kind, title in items:
        orders[course_id].append({"id": item_id, "key": key, "kind": kind, "title": title})
    for course_id, order in orders.items():
        connection.execute(courses.update().where(courses.c.id == course_id).values(item_order=order))


def downgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("item_order")

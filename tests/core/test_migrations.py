"""The migrations build exactly the schema the models declare, on every backend the suite runs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from lms import create_app
from lms.core.db import built_on
from lms.extensions import db
from tests.conftest import BACKENDS, TESTS_DIR, _create_postgres_database

MIGRATIONS = str(TESTS_DIR.parent / "migrations")


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": lambda obj, *_args: built_on(obj, dialect)},
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models and migrations differ; run `flask db migrate`:\n" + "\n".join(
        map(str, differences)
    )


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database of its own, not yet migrated, on each backend the suite runs."""
    if request.param == "postgresql":
        url, drop = _create_postgres_database(os.environ["TEST_DATABASE_URL"])
    else:
        url, drop = "sqlite:///" + str(tmp_path / "migrate.sqlite3"), None
    yield url
    if drop:
        drop()


def test_item_order_migration_fills_existing_courses(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="9abae4425c19")
        now = datetime.now(UTC)
        common = {"summary": "", "source_hash": "h", "render_key": "r", "html": "", "version": 1}
        common |= {"toc": "[]", "render_meta": "{}", "updated_at": now, "source_path": "p"}
        insert = "INSERT INTO {table} ({columns}) VALUES ({values})"

        def add(table: str, **values) -> None:
            values = {**common, **values}
            sql = insert.format(
                table=table, columns=", ".join(values), values=", ".join(f":{k}" for k in values)
            )
            db.session.execute(sa.text(sql), values)

        course = {"folder": "c", "audience": "", "completion_kind": "all", "completion_percent": 100}
        add(
            "courses",
            id=1,
            key="c",
            title="C",
            position=1,
            lesson_count=0,
            lesson_completion="button",
            **course,
        )
        add("modules", id=1, course_id=1, key="m2", title="M2", position=2, folder="m2")
        add("modules", id=2, course_id=1, key="m1", title="M1", position=1, folder="m1")
        add("modules", id=3, course_id=1, key="gone", title="Gone", position=0, folder="g", archived_at=now)
        lesson = {"course_id": 1, "complete_mode": "button", "path_in_course": "x", "payload": "{}"}
        add("lessons", id=10, module_id=1, key="b", title="B", position=1, kind="quiz", **lesson)
        add("lessons", id=11, module_id=2, key="a2", title="A2", position=2, kind="lesson", **lesson)
        add("lessons", id=12, module_id=2, key="a1", title="A1", position=1, kind="lesson", **lesson)
        add(
            "lessons",
            id=13,
            module_id=2,
            key="old",
            title="Old",
            position=0,
            kind="lesson",
            archived_at=now,
            **lesson,
        )
        add("lessons", id=14, module_id=3, key="hidden", title="H", position=1, kind="lesson", **lesson)
        db.session.commit()
        upgrade(directory=MIGRATIONS)
        stored = db.session.execute(sa.text("SELECT item_order FROM courses WHERE id = 1")).scalar()
        db.session.remove()
        db.engine.dispose()
    order = json.loads(stored) if isinstance(stored, str) else stored
    assert [(item["key"], item["kind"], item["id"]) for item in order] == [
        ("a1", "lesson", 12),
        ("a2", "lesson", 11),
        ("b", "quiz", 10),
    ]

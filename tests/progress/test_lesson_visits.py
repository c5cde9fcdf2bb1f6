"""What opening a lesson records: rows on the first visit, one UPDATE on the next, nothing on a reload."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from lms.content.models import Lesson
from lms.content.sync import sync_tree
from lms.extensions import db
from lms.progress.models import Enrolment, LessonProgress
from lms.progress.services import TOUCH_INTERVAL
from tests.statements import Statements


def lesson_url(key: str) -> str:
    return f"/courses/tiny-course/lessons/{key}"


def _enrolment(user_id: int) -> Enrolment:
    db.session.rollback()
    return db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user_id))


def _lesson_id(key: str) -> int:
    return db.session.scalar(sa.select(Lesson.id).where(Lesson.key == key))


def test_first_visit_enrols_and_records_the_view(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    assert client.get(lesson_url("l-one")).status_code == 200
    enrolment = _enrolment(user.id)
    assert enrolment.last_lesson_id == _lesson_id("l-one")
    assert enrolment.last_activity_at is not None
    assert enrolment.status != "not_started"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(LessonProgress).where(LessonProgress.user_id == user.id)
        )
        == 1
    )


def test_a_reload_writes_nothing(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-one"))
    with Statements(only="INSERT|UPDATE|DELETE") as writes:
        assert client.get(lesson_url("l-one")).status_code == 200
    assert writes.sql == []


def test_opening_another_lesson_moves_the_resume_point_with_one_update(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-one"))
    client.get(lesson_url("l-three"))
    first_seen = _enrolment(user.id).last_activity_at
    with Statements(only="INSERT|UPDATE|DELETE") as writes:
        client.get(lesson_url("l-one"))
    assert writes.verbs == ["UPDATE"]
    enrolment = _enrolment(user.id)
    assert enrolment.last_lesson_id == _lesson_id("l-one")
    assert enrolment.last_activity_at >= first_seen


def test_moving_on_soon_moves_the_resume_point_alone_and_later_the_activity_too(
    client, auth, imported, make_user
):
    """Within TOUCH_INTERVAL of the last activity the UPDATE sets the resume point only (no indexed
    column: PostgreSQL updates the row in place); once the activity is stale, both."""
    user = make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-one"))
    client.get(lesson_url("l-three"))  # first visits: their rows, and the activity time
    seen = _enrolment(user.id).last_activity_at
    with Statements(only="UPDATE") as writes:
        client.get(lesson_url("l-one"))
    [update] = writes.sql
    assert "last_lesson_id" in update and "last_activity_at" not in update
    enrolment = _enrolment(user.id)
    assert (enrolment.last_lesson_id, enrolment.last_activity_at) == (_lesson_id("l-one"), seen)

    long_ago = seen - TOUCH_INTERVAL - timedelta(minutes=1)
    enrolment.last_activity_at = long_ago
    db.session.commit()
    with Statements(only="UPDATE") as writes:
        client.get(lesson_url("l-three"))
    [update] = writes.sql
    assert "last_activity_at" in update
    enrolment = _enrolment(user.id)
    assert enrolment.last_lesson_id == _lesson_id("l-three")
    assert enrolment.last_activity_at > long_ago + TOUCH_INTERVAL


def test_a_reload_after_a_while_refreshes_last_activity(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-one"))
    enrolment = _enrolment(user.id)
    long_ago = enrolment.last_activity_at - TOUCH_INTERVAL - timedelta(minutes=1)
    enrolment.last_activity_at = long_ago
    db.session.commit()
    client.get(lesson_url("l-one"))
    assert _enrolment(user.id).last_activity_at > long_ago + TOUCH_INTERVAL


def test_a_view_completed_lesson_completes_on_the_first_visit(client, auth, imported, make_user):
    user = make_user("anna")
    auth.login("anna")
    html = client.get(lesson_url("l-two")).get_data(as_text=True)  # `complete: view`
    assert _enrolment(user.id).lessons_done == 1
    assert "/complete" not in html  # no "mark as done" button on a completed lesson


def test_the_pager_follows_reordered_content(client, auth, imported, make_user, courses_dir):
    make_user("anna")
    auth.login("anna")
    html = client.get(lesson_url("l-one")).get_data(as_text=True)
    assert 'rel="prev"' not in html
    assert re.search(r'rel="next" href="[^"]*/l-two"', html)

    course_md = courses_dir / "tiny-course" / "course.md"
    course_md.write_text(
        course_md.read_text(encoding="utf-8").replace("  - 01-one\n  - 02-two\n", "  - 02-two\n  - 01-one\n"),
        encoding="utf-8",
    )
    db.session.rollback()
    sync_tree(courses_dir)
    db.session.commit()

    html = client.get(lesson_url("l-one")).get_data(as_text=True)
    assert re.search(r'rel="prev" href="[^"]*/l-three"', html)
    html = client.get(lesson_url("l-two")).get_data(as_text=True)
    assert 'rel="next"' not in html


def test_the_resume_point_update_is_a_bookkeeping_write_that_does_not_wait_for_the_disk(
    client, auth, imported, make_user
):
    """Its statement turns `synchronous_commit` off for its own transaction on PostgreSQL (true
    on SQLite, whose WAL does not wait), and still moves the resume point."""
    user = make_user("anna")
    auth.login("anna")
    client.get(lesson_url("l-three"))
    client.get(lesson_url("l-one"))
    with Statements(only="UPDATE") as writes:
        client.get(lesson_url("l-three"))
    [update] = writes.sql
    if db.engine.dialect.name == "postgresql":
        assert "set_config('synchronous_commit', 'off', true)" in update
    else:
        assert "1 = 1" in update
    assert _enrolment(user.id).last_lesson_id == _lesson_id("l-three")


def test_commit_without_flush_wait_is_local_to_its_transaction(app):
    """On PostgreSQL the setting holds until the statement's transaction ends, then the
    connection's own setting is back (a pooled connection must not keep it)."""
    from lms.core.db import commit_without_flush_wait

    if db.engine.dialect.name != "postgresql":
        import pytest

        pytest.skip("synchronous_commit is PostgreSQL's")
    with db.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.literal(1)).where(commit_without_flush_wait())) == 1
        assert connection.scalar(sa.text("SHOW synchronous_commit")) == "off"
        connection.commit()
        assert connection.scalar(sa.text("SHOW synchronous_commit")) == "on"


def test_bookkeeping_updates_are_compiled_once():
    """A statement without a cache key is compiled again on every execution (twice the cost of
    the write itself); the flush-wait condition must not take the cache key away."""
    from lms.accounts.sessions import _TOUCH as session_touch
    from lms.progress.services import _TOUCH_RESUME, _TOUCH_RESUME_AND_ACTIVITY

    assert _TOUCH_RESUME._generate_cache_key() is not None
    assert _TOUCH_RESUME_AND_ACTIVITY._generate_cache_key() is not None
    assert session_touch._generate_cache_key() is not None

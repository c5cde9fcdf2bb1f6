"""The course heatmap: cells from the module rollup, scope by region, filters, paging, statements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.models import Lesson
from lms.content.sync import sync_tree
from lms.dashboards import heatmap as heatmap_page
from lms.extensions import db
from lms.progress import services as progress
from tests.statements import Statements

HEATMAP = "/dashboard/courses/tiny-course"


def cells(html: str) -> dict[int, list[tuple[str, str]]]:
    """Each candidate row's cells as (state, "done/total")."""
    found = {}
    for user_id, row in re.findall(r'<tr data-user="(\d+)">(.*?)</tr>', html, re.S):
        found[int(user_id)] = re.findall(r'data-state="(\w+)">\S+ (\d+/\d+)<', row)
    return found


def page(client, path: str = HEATMAP) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def item(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def test_module_cells_count_done_items_of_the_module(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    finished, started, fresh = world.moscow
    assert cells(page(client, HEATMAP + "?region=77")) == {
        finished: [("done", "2/2"), ("done", "1/1")],
        started: [("started", "0/2"), ("none", "0/1")],
        fresh: [("none", "0/2"), ("none", "0/1")],
    }
    html = page(client, HEATMAP + "?region=77&module=m-one")
    assert cells(html)[finished] == [("done", "1/1"), ("done", "1/1")]
    assert cells(html)[started] == [("started", "0/1"), ("none", "0/1")]
    assert "в процессе" in html and "не начал" in html  # the states in words for screen readers


def test_progress_shows_at_once(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    fresh = world.moscow[2]
    assert cells(page(client))[fresh] == [("none", "0/2"), ("none", "0/1")]
    user = db.session.get(User, fresh)
    progress.complete_lesson(user, item("l-three"))
    progress.record_view(user, item("l-one"))
    db.session.commit()
    assert cells(page(client))[fresh] == [("started", "0/2"), ("done", "1/1")]
    progress.uncomplete_lesson(user, item("l-three"))
    db.session.commit()
    assert cells(page(client))[fresh] == [("started", "0/2"), ("started", "0/1")]


def test_each_viewer_sees_their_own_scope_on_the_same_address(client, auth, world, make_user):
    make_user("pavel", role="coordinator", region="77")
    make_user("olga", role="coordinator")
    for _round in range(2):
        auth.login("pavel")
        html = page(client)
        assert set(cells(html)) == set(world.moscow) and "tver0" not in html
        assert 'name="region"' not in html  # no region filter for a regional coordinator
        assert client.get(HEATMAP + "?region=69").status_code == 404
        assert client.get(HEATMAP + "?region=69&module=m-one").status_code == 404
        auth.logout()
        auth.login("olga")
        html = page(client)
        assert set(cells(html)) == {*world.moscow, *world.tver}
        assert 'name="region"' in html and set(cells(page(client, HEATMAP + "?region=69"))) == set(world.tver)
        auth.logout()


def test_who_may_open_it(client, auth, world, make_user):
    response = client.get(HEATMAP)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    for role in ("candidate", "instructor"):
        make_user(f"someone-{role}", role=role)
        auth.login(f"someone-{role}")
        assert client.get(HEATMAP).status_code == 403
        auth.logout()
    make_user("olga", role="admin")
    auth.login("olga")
    assert client.get("/dashboard/courses/no-such-course").status_code == 404
    assert client.get(HEATMAP + "?region=999").status_code == 404
    assert client.get(HEATMAP + "?module=no-such-module").status_code == 200  # the course's modules


def test_cohort_filter_and_candidate_links(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = page(client, HEATMAP + f"?cohort={world.cohort_id}")
    assert set(cells(html)) == set(world.moscow)
    link = re.search(rf'href="(/dashboard/candidates/{world.moscow[0]})"', html).group(1)
    assert client.get(link).status_code == 200


def test_pages_by_name_with_the_total_on_every_page(app, world, make_user):
    viewer = make_user("olga", role="coordinator")
    course = world.course
    target = heatmap_page.Target(course.id, course.key, course.title, True)
    common = dict(region_code="77", cohort_id=None, module_key=None, page_size=2)
    first = heatmap_page.heatmap(viewer, target, page=1, **common)
    second = heatmap_page.heatmap(viewer, target, page=2, **common)
    beyond = heatmap_page.heatmap(viewer, target, page=3, **common)
    assert [row.name for row in first.rows + second.rows] == ["Кандидат 0", "Кандидат 1", "Кандидат 2"]
    assert (first.total, second.total, beyond.total, beyond.rows) == (3, 3, 3, [])


def test_a_regional_viewer_is_never_counted_another_region(app, world, make_user):
    viewer = make_user("pavel", role="coordinator", region="77")
    course = world.course
    target = heatmap_page.Target(course.id, course.key, course.title, True)
    with pytest.raises(heatmap_page.Refused):
        heatmap_page.heatmap(viewer, target, region_code="69", cohort_id=None, module_key=None, page=1)
    with pytest.raises(heatmap_page.Refused):
        heatmap_page.heatmap(viewer, target, region_code=None, cohort_id=None, module_key=None, page=1)


@pytest.mark.parametrize(
    ("viewer", "query", "most"),
    [
        ("regional", "?region=77", 3),  # the user with course and region; the columns; the page
        ("regional", "?module=m-one", 3),
        ("national", "", 4),  # and the regions of the filter
    ],
)
def test_statements(client, auth, world, make_user, viewer, query, most):
    make_user("viewer", role="coordinator", region="77" if viewer == "regional" else None)
    auth.login("viewer")
    page(client, HEATMAP + query)
    with Statements() as statements:
        page(client, HEATMAP + query)
    assert len(statements.sql) <= most, statements.sql
    assert set(statements.verbs) == {"SELECT"}, statements.sql


def test_a_content_change_shows_at_once(client, auth, world, make_user, courses_dir: Path):
    make_user("olga", role="coordinator")
    auth.login("olga")
    finished = world.moscow[0]
    html = page(client)
    assert "Первый модуль" in html and cells(html)[finished][0] == ("done", "2/2")
    module_file = courses_dir / "tiny-course/01-one/module.md"
    text = module_file.read_text(encoding="utf-8")
    module_file.write_text(
        text.replace("title: Первый модуль", "title: Новое название модуля").replace(
            "  - 02-second.md", "  - 02-second.md\n  - 03-fourth.md"
        ),
        encoding="utf-8",
    )
    (courses_dir / "tiny-course/01-one/03-fourth.md").write_text(
        "---\nid: l-four\ntitle: Четвёртый урок\n---\nТекст.\n", encoding="utf-8"
    )
    sync_tree(courses_dir)
    db.session.commit()
    html = page(client)
    assert "Новое название модуля" in html and "Первый модуль" not in html
    assert cells(html)[finished] == [("started", "2/3"), ("done", "1/1")]
    assert "Четвёртый урок" in page(client, HEATMAP + "?module=m-one")

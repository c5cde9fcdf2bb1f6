"""Dashboards: what each role sees, scope by region everywhere, exports equal to the page."""

from __future__ import annotations

import csv
import io
import re

import pytest

REGION_PAGES = [
    "/dashboard/regions/{code}",
    "/dashboard/regions/{code}/export.csv",
    "/dashboard/regions/{code}/export.xlsx",
    "/dashboard/regions/{code}?status=behind&inactive=3",
]


def test_national_overview_counts(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/").get_data(as_text=True)
    row = re.search(r'<tr data-region="77">(.*?)</tr>', html, re.S).group(1)
    assert "33.3%" in row and "(1/3)" in row
    assert "не начали 1" in row or "not started 1" in row
    tver = re.search(r'<tr data-region="69">(.*?)</tr>', html, re.S).group(1)
    assert "0.0%" in tver and "(0/1)" in tver


def test_region_page_lists_candidates_with_filters(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/regions/77").get_data(as_text=True)
    assert len(re.findall(r'<tr data-user="', html)) == 3
    assert "Москва-весна" in html
    html = client.get("/dashboard/regions/77?status=not_started").get_data(as_text=True)
    assert re.findall(r'<tr data-user="(\d+)"', html) == [str(world.moscow[2])]
    assert 'role="img"' in html  # the completion chart


@pytest.mark.parametrize("template", REGION_PAGES)
def test_regional_coordinator_cannot_see_another_region(client, auth, world, make_user, template):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    assert client.get(template.format(code="77")).status_code == 200
    response = client.get(template.format(code="69"))
    assert response.status_code in (403, 404)
    assert "tver0" not in response.get_data(as_text=True)


def test_regional_coordinator_sees_only_their_region_everywhere(client, auth, world, make_user):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    overview = client.get("/dashboard/").get_data(as_text=True)
    assert 'data-region="77"' in overview and 'data-region="69"' not in overview
    for user_id in world.tver:
        assert client.get(f"/dashboard/candidates/{user_id}").status_code == 404
    assert client.get(f"/dashboard/candidates/{world.moscow[0]}").status_code == 200
    assert client.get("/dashboard/cohorts").status_code == 403


def test_candidates_and_instructors_cannot_open_dashboards(client, auth, world, make_user):
    for name, role in (("anna", "candidate"), ("igor", "instructor")):
        make_user(name, role=role)
        auth.login(name)
        for path in (
            "/dashboard/",
            "/dashboard/regions/77",
            "/dashboard/regions/77/export.csv",
            f"/dashboard/candidates/{world.moscow[0]}",
            "/dashboard/cohorts",
        ):
            assert client.get(path).status_code == 403, (name, path)
        auth.logout()
    assert client.get("/dashboard/").status_code == 302


def test_csv_export_matches_the_page_and_is_safe(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    for code in ("77", "69"):
        page = client.get(f"/dashboard/regions/{code}?status=on_track").get_data(as_text=True)
        shown = len(re.findall(r'<tr data-user="', page))
        response = client.get(f"/dashboard/regions/{code}/export.csv?status=on_track")
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert len(rows) - 1 == shown
    rows = list(
        csv.reader(io.StringIO(client.get("/dashboard/regions/69/export.csv").data.decode("utf-8-sig")))
    )
    name = rows[1][0]
    assert name.startswith("'="), "formula neutralised"
    percent_index = rows[0].index(next(title for title in rows[0] if "%" in title))
    float(rows[1][percent_index])  # a number, not text


def test_candidate_drill_down(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get(f"/dashboard/candidates/{world.moscow[0]}").get_data(as_text=True)
    assert "100%" in html and "Крошечный курс" in html


def test_candidate_sees_due_dates(client, auth, world):
    auth.login("msk1")
    html = client.get("/").get_data(as_text=True)
    assert 'id="due-title"' in html

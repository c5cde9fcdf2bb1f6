"""Coordinator journeys: national overview down to a candidate and an export; a regional view."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.dashboards.conftest import world  # noqa: F401  (fixture)

PASSWORD = "correct-horse-battery"


def test_national_coordinator_drills_down_and_exports(page, live_server, login, world, make_user):  # noqa: F811
    make_user("olga", role="coordinator", full_name="Ольга")
    login("olga", PASSWORD)
    page.get_by_role("link", name="Мониторинг").click()
    expect(page.get_by_role("heading", name="Прохождение по регионам")).to_be_visible()
    moscow = page.locator('tr[data-region="77"]')
    expect(moscow).to_contain_text("33,3\u00a0%")
    moscow.locator("a.cell-link").click()
    expect(page).to_have_url(re.compile(r"/dashboard/regions/77\?course=\d+"))
    expect(page.locator("#candidates tbody tr")).to_have_count(3)
    expect(page.locator("figure.chart svg[role=img]")).to_be_visible()

    page.get_by_label("Статус").select_option("not_started")
    page.get_by_role("button", name="Применить").click()
    expect(page.locator("#candidates tbody tr")).to_have_count(1)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Выгрузить CSV").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 2 and rows[1][0] == "Кандидат 2"

    page.locator("#candidates tbody tr th a").first.click()
    expect(page.get_by_role("heading", name=re.compile("Кандидат 2"))).to_be_visible()


def test_regional_coordinator_sees_only_their_region(page, live_server, login, world, make_user):  # noqa: F811
    make_user("pavel", role="coordinator", region="77")
    login("pavel", PASSWORD)
    page.goto(f"{live_server}/dashboard/")
    expect(page.locator("tr[data-region]")).to_have_count(1)
    expect(page.locator('tr[data-region="77"]')).to_be_visible()
    response = page.goto(f"{live_server}/dashboard/regions/69")
    assert response.status == 404
    page.goto(f"{live_server}/dashboard/at-risk")
    expect(page.get_by_role("heading", name="В зоне риска", level=1)).to_be_visible()
    expect(page.get_by_label("Регион")).to_have_count(0)  # no region choice for a regional coordinator


def test_national_coordinator_sets_a_personal_due_date(page, live_server, login, world, make_user):  # noqa: F811
    make_user("olga", role="coordinator", full_name="Ольга")
    login("olga", PASSWORD)
    page.goto(f"{live_server}/dashboard/candidates/{world.moscow[1]}")
    row = page.locator("#enrolments tbody tr").first
    date_field = page.get_by_label(re.compile("Личный срок по курсу"))
    date_field.fill("2020-01-15")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Личный срок сохранён.")).to_be_visible()
    expect(row).to_contain_text("15 янв. 2020\u202fг.")
    expect(row).to_contain_text("личный")
    expect(row).to_contain_text("просрочено")

    page.get_by_role("button", name="Вернуть срок группы").click()
    expect(page.get_by_text("Снова действует срок группы.")).to_be_visible()
    expect(row).not_to_contain_text("личный")


def test_regional_coordinator_exports_an_at_risk_list(page, live_server, login, world, make_user):  # noqa: F811
    from tests.dashboards.test_views import _age_world

    _age_world(world)
    make_user("pavel", role="coordinator", region="77")
    login("pavel", PASSWORD)
    page.goto(f"{live_server}/dashboard/at-risk")
    inactive = page.locator("#list-inactive")
    expect(inactive.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as download_info:
        inactive.get_by_role("link", name="CSV этого списка", exact=True).click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert [row[1] for row in rows[1:]] == ["Кандидат 1"]

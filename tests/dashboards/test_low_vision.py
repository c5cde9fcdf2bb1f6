"""The completion chart in the low-vision version: its table is open in place of the drawing."""

from __future__ import annotations

import re


def test_region_chart_table_opens_in_the_low_vision_version(client, auth, world, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    html = client.get("/dashboard/regions/77").get_data(as_text=True)
    assert '<figure class="chart has-table">' in html
    assert re.search(r'<figure class="chart has-table">.*?<details><summary>', html, re.S)

    auth.post("/low-vision", {"on": "1", "next": "/dashboard/regions/77"})
    html = client.get("/dashboard/regions/77").get_data(as_text=True)
    assert '<html lang="ru" class="low-vision">' in html
    assert re.search(r'<figure class="chart has-table">.*?<details open><summary>', html, re.S)

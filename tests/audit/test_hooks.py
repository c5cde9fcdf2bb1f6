"""Audit records written by other domains: dashboard exports and personal due dates.

Each action writes exactly one event, with the right actor, target and details, in the same
transaction as the action; a refused action writes none.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from tests.audit.helpers import events
from tests.dashboards.conftest import world  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("world")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def xlsx_row_count(response) -> int:
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    return len(re.findall(r"<row ", sheet))


def only(action: str) -> AuditEvent:
    found = events(action)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_region_export_is_recorded_with_its_filters_and_row_count(client, auth, make_user, fmt):
    olga = make_user("olga", role="coordinator")
    auth.login("olga")
    response = client.get(f"/dashboard/regions/77/export.{fmt}", query_string={"status": "not_started"})
    assert response.status_code == 200
    rows = len(csv_rows(response)) - 1 if fmt == "csv" else xlsx_row_count(response) - 1
    assert rows == 1  # the one Moscow candidate who has not started: the file is as before
    event = only("export.region")
    assert (event.actor_id, event.actor_name) == (olga.id, "olga")
    assert (event.target_type, event.target_id, event.target_label) == ("region", "77", "77")
    assert event.details == {"region": "77", "filters": {"status": "not_started"}, "format": fmt, "rows": 1}


def test_an_unfiltered_region_export_counts_every_row(client, auth, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    response = client.get("/dashboard/regions/77/export.csv")
    assert len(csv_rows(response)) - 1 == 3
    assert only("export.region").details["rows"] == 3


def test_an_at_risk_export_is_recorded_with_list_region_and_days(client, auth, make_user, world):  # noqa: F811
    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.progress.models import Enrolment

    idle = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == world.moscow[1]))
    idle.last_activity_at = utcnow() - timedelta(days=5)
    db.session.commit()
    make_user("olga", role="coordinator")
    auth.login("olga")
    response = client.get("/dashboard/at-risk/export.csv", query_string={"region": "77", "inactive": "3"})
    assert response.status_code == 200
    assert [row[2] for row in csv_rows(response)[1:]] == ["msk1"]
    event = only("export.at_risk")
    assert event.actor_name == "olga"
    assert (event.target_type, event.target_id) == ("region", "77")
    assert event.details == {"list": "all", "region": "77", "days": 3, "format": "csv", "rows": 1}


def test_an_at_risk_export_of_one_list_everywhere(client, auth, make_user):
    make_user("olga", role="coordinator")
    auth.login("olga")
    response = client.get("/dashboard/at-risk/export.xlsx", query_string={"list": "not_started"})
    rows = xlsx_row_count(response) - 1
    event = only("export.at_risk")
    assert (event.target_type, event.target_id, event.target_label) == (None, None, "")
    assert event.details == {"list": "not_started", "region": "", "days": 7, "format": "xlsx", "rows": rows}


def test_a_refused_export_records_nothing(client, auth, make_user):
    make_user("pavel", role="coordinator", region="77")
    auth.login("pavel")
    assert client.get("/dashboard/regions/69/export.csv").status_code == 404
    assert client.get("/dashboard/at-risk/export.pdf").status_code == 404
    assert events("export.region") == [] and events("export.at_risk") == []


def _due_form(client, user_id: int) -> tuple[str, str, str]:
    html = client.get(f"/dashboard/candidates/{user_id}").get_data(as_text=True)
    action = re.search(r'action="(/dashboard/candidates/\d+/enrolments/\d+/due)"', html).group(1)
    prefix = "due-" + action.split("/")[-2]
    csrf = re.search(rf'name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return action, prefix, csrf


def test_a_personal_due_date_and_its_reset_are_recorded(client, auth, make_user, world):  # noqa: F811
    from lms.content.models import Course
    from lms.extensions import db

    olga = make_user("olga", role="admin")
    auth.login("olga")
    candidate = world.moscow[1]
    course_key = db.session.get(Course, world.course.id).key
    action, prefix, csrf = _due_form(client, candidate)
    before = events("due.override")
    assert before == []
    response = client.post(
        action, data={f"{prefix}-csrf_token": csrf, f"{prefix}-due_on": "2020-01-15", f"{prefix}-save": "1"}
    )
    assert response.status_code == 302
    event = only("due.override")
    assert (event.actor_id, event.target_type, event.target_id) == (olga.id, "user", str(candidate))
    assert event.target_label == "msk1"
    cohort_due = event.details["due_on"][0]
    assert date.fromisoformat(cohort_due) > date(2020, 1, 15)  # the cohort's date, a month ahead
    assert event.details == {"course": course_key, "due_on": [cohort_due, "2020-01-15"], "personal": True}

    client.post(action, data={f"{prefix}-csrf_token": csrf, f"{prefix}-reset": "1"})
    reset = events("due.override")
    assert len(reset) == 2
    assert reset[1].details == {"course": course_key, "due_on": ["2020-01-15", cohort_due], "personal": False}


def test_a_refused_due_date_records_nothing(client, auth, make_user, world):  # noqa: F811
    make_user("olga", role="coordinator")
    auth.login("olga")
    action, prefix, csrf = _due_form(client, world.moscow[1])
    response = client.post(
        action, data={f"{prefix}-csrf_token": csrf, f"{prefix}-due_on": "", f"{prefix}-save": "1"}
    )
    assert response.status_code == 400
    assert events("due.override") == []

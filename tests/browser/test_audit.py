"""Admin journey: open the audit log from the administration page, filter by action, read an event."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from lms.audit.models import AuditEvent
from lms.core.time import utcnow
from lms.extensions import db
from tests.browser.conftest import assert_accessible, assert_fits

PASSWORD = "correct-horse-battery"


def add(action: str, minutes_ago: int, **fields) -> None:
    db.session.add(
        AuditEvent(
            at=utcnow() - timedelta(minutes=minutes_ago), action=action, address="192.0.2.10", **fields
        )
    )


def test_admin_filters_the_audit_log_by_action(page, live_server, login, make_user):
    root = make_user("root", role="admin", full_name="Администратор")
    add("auth.login_failed", 30, target_type="user", target_label='=hyperlink("http://evil.example","x")')
    add("auth.login_failed", 20, target_type="user", target_label="mariya.ivanova-petrovskaya-regional-77")
    add(
        "export.region",
        10,
        actor_id=root.id,
        actor_name="root",
        target_type="region",
        target_id="77",
        target_label="77",
        details={
            "region": "77",
            "filters": {"status": "behind", "cohort": "12"},
            "rows": 1520,
            "format": "xlsx",
        },
    )
    db.session.commit()

    login("root", PASSWORD)
    page.goto(f"{live_server}/admin/")
    page.get_by_role("link", name="Журнал аудита").click()
    expect(page.get_by_role("heading", name="Журнал аудита", level=1)).to_be_visible()
    expect(page.locator('#audit-events tr[data-action="export.region"]')).to_contain_text("Строк: 1520")

    page.get_by_label("Действие").select_option(label="Неудачный вход")
    page.get_by_role("button", name="Применить").click()
    expect(page).to_have_url(re.compile(r"action=auth\.login_failed"))
    rows = page.locator("#audit-events tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("mariya.ivanova-petrovskaya-regional-77")
    expect(rows.nth(1)).to_contain_text('=hyperlink("http://evil.example","x")')
    expect(rows.first).to_contain_text("auth.login_failed")
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    expect(rows).to_have_count(2)  # the filter survives the change of language
    expect(rows.first).to_contain_text("Failed sign-in")
    assert_accessible(page)
    assert_fits(page, 320)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Clear filters").click()
    page.locator('#audit-events tr[data-action="export.region"] th a').click()
    expect(page.get_by_role("heading", name="Region list exported", level=1)).to_be_visible()
    expect(page.get_by_text("status=behind, cohort=12")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 320)

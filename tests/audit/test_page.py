"""The audit log page: admins only, every filter, keyset pages, the CSV export, nothing that edits."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.audit.search import PAGE_SIZE
from lms.extensions import db
from tests.audit.helpers import events

LOG = "/admin/audit/"
EXPORT = "/admin/audit/export.csv"


def rows(html: str) -> list[int]:
    """The event ids listed on a page, top to bottom."""
    return [int(n) for n in re.findall(r'data-event="(\d+)"', html)]


def page(client, **args) -> str:
    response = client.get(LOG, query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.mark.parametrize("path", [LOG, EXPORT, "/admin/audit/1"])
@pytest.mark.parametrize("role", ["candidate", "instructor", "coordinator"])
def test_only_admins_read_the_log(client, auth, make_user, add_event, path, role):
    add_event("auth.login")
    make_user("someone", role=role)
    auth.login("someone")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", [LOG, EXPORT, "/admin/audit/1"])
def test_anonymous_visitors_are_sent_to_sign_in(client, add_event, path):
    add_event("auth.login")
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nothing_under_the_log_accepts_a_change(app, client, auth, admin, add_event):
    """No edit, no delete: every audit route answers GET only, and a POST or DELETE is refused."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")]
    assert {rule.endpoint for rule in rules} == {"audit.index", "audit.event", "audit.export"}
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    event = add_event("auth.login")
    auth.login("root")
    token = auth.csrf(LOG)
    for path in (LOG, f"/admin/audit/{event.id}", EXPORT):
        assert client.post(path, data={"csrf_token": token}).status_code == 405
        assert client.delete(path).status_code == 405
        assert client.put(path, data={"csrf_token": token}).status_code == 405
    assert client.post(f"/admin/audit/{event.id}/delete", data={"csrf_token": token}).status_code == 404
    assert event.id in [e.id for e in events()]  # still there


def test_events_are_listed_newest_first_with_label_code_target_address_details(
    client, auth, admin, add_event, make_user
):
    anna = make_user("anna")
    older = add_event(
        "user.update",
        at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        actor=admin,
        target_type="user",
        target_id=str(anna.id),
        target_label="anna",
        address="192.0.2.7",
        details={"role": ["candidate", "instructor"], "sessions_ended": 2},
    )
    newer = add_event(
        "auth.logout", at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), actor=anna, target_label="anna"
    )
    auth.login("root")
    english(client)
    html = page(client)
    listed = rows(html)
    # The admin's sign-in and the accounts' creation happened now, after both added events.
    assert listed[-2:] == [newer.id, older.id] and len(listed) == 5
    row = re.search(rf'<tr data-action="user.update" data-event="{older.id}">(.*?)</tr>', html, re.S).group(1)
    assert "Account changed" in row and '<code class="audit-code">user.update</code>' in row
    assert "root" in row and "anna" in row and "192.0.2.7" in row
    assert "Role:</dt> <dd>candidate → instructor</dd>" in row
    assert "Sessions ended:</dt> <dd>2</dd>" in row
    # 9:00 UTC is 12:00 in Moscow, the admin's (default) time zone.
    assert "12:00:00" in row


def test_when_is_shown_in_the_readers_time_zone(client, auth, make_user, add_event):
    vlad = make_user("vlad", role="admin")
    vlad.timezone = "Asia/Vladivostok"
    db.session.commit()
    event = add_event("auth.logout", at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    auth.login("vlad")
    html = page(client, action="auth.logout")
    assert rows(html) == [event.id]
    assert "19:00:00" in html and "12:00:00" not in html  # UTC+10, not Moscow's UTC+3


def test_action_filter(client, auth, admin, add_event):
    keep = add_event("password.reset")
    add_event("password.change")
    auth.login("root")
    html = page(client, action="password.reset")
    assert rows(html) == [keep.id]
    assert '<option value="password.reset" selected>' in html
    assert re.search(r'<optgroup label="Пароли">.*?password\.change', html, re.S)


def test_actor_filter_and_an_unknown_username(client, auth, admin, add_event, make_user):
    olga = make_user("olga", role="coordinator")
    mine = add_event("export.region", actor=olga)
    add_event("export.region", actor=admin)
    auth.login("root")
    assert rows(page(client, actor=" OLGA ")) == [mine.id]
    html = page(client, actor="nobody")
    assert rows(html) == [] and 'id="actor-error"' in html and 'aria-invalid="true"' in html


def test_target_filter_matches_a_username_or_a_label(client, auth, admin, add_event):
    anna_login = add_event("auth.login_failed", target_type="user", target_label="anna")
    cohort = add_event("cohort.rename", target_type="cohort", target_id="3", target_label="Москва-Весна")
    add_event("auth.login_failed", target_type="user", target_label="annabel")
    auth.login("root")
    assert rows(page(client, target="Anna")) == [anna_login.id]
    assert rows(page(client, target="Москва-Весна")) == [cohort.id]


def test_address_filter(client, auth, admin, add_event):
    keep = add_event("auth.login_failed", address="203.0.113.9")
    add_event("auth.login_failed", address="203.0.113.90")
    auth.login("root")
    assert rows(page(client, address="203.0.113.9")) == [keep.id]


def test_date_filters_take_whole_days_in_the_readers_time_zone(client, auth, admin, add_event):
    # 22:30 UTC on 1 March is 01:30 on 2 March in Moscow.
    late = add_event("mail.retry", at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    early = add_event("mail.retry", at=datetime(2026, 3, 1, 20, 59, tzinfo=UTC))  # 23:59 on 1 March
    add_event("mail.retry", at=datetime(2026, 3, 3, 21, 0, tzinfo=UTC))  # 00:00 on 4 March
    auth.login("root")
    assert rows(page(client, action="mail.retry", date_from="2026-03-02", date_to="2026-03-03")) == [late.id]
    assert rows(page(client, action="mail.retry", date_to="2026-03-01")) == [early.id]
    html = page(client, action="mail.retry", date_from="2026-02-30")
    assert len(rows(html)) == 3 and 'id="date_from-error"' in html


def test_filters_combine(client, auth, admin, add_event, make_user):
    olga = make_user("olga", role="coordinator")
    keep = add_event("export.at_risk", actor=olga, address="198.51.100.1", target_label="77")
    add_event("export.at_risk", actor=olga, address="198.51.100.2", target_label="77")
    add_event("export.region", actor=olga, address="198.51.100.1", target_label="77")
    add_event("export.at_risk", actor=admin, address="198.51.100.1", target_label="77")
    auth.login("root")
    args = {"action": "export.at_risk", "actor": "olga", "address": "198.51.100.1", "target": "77"}
    assert rows(page(client, **args)) == [keep.id]


def test_keyset_pages_older_and_newer_keep_the_filters(client, auth, admin, add_event):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Three events share each instant: pages must split ties without losing or repeating one.
    made = [
        add_event("session.end", at=start + timedelta(minutes=i // 3)).id for i in range(2 * PAGE_SIZE + 20)
    ]
    add_event("auth.logout", at=start + timedelta(days=1))
    auth.login("root")
    newest_first = made[::-1]

    first = page(client, action="session.end")
    assert rows(first) == newest_first[:PAGE_SIZE]
    older = re.search(r'href="([^"]*before=\d+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "action=session.end" in older and 'rel="prev"' not in first

    second = client.get(older).get_data(as_text=True)
    assert rows(second) == newest_first[PAGE_SIZE : 2 * PAGE_SIZE]
    third_link = re.search(r'href="([^"]*before=\d+[^"]*)" rel="next"', second).group(1).replace("&amp;", "&")
    third = client.get(third_link).get_data(as_text=True)
    assert rows(third) == newest_first[2 * PAGE_SIZE :]
    assert 'rel="next"' not in third

    back = re.search(r'href="([^"]*after=\d+[^"]*)" rel="prev"', third).group(1).replace("&amp;", "&")
    assert rows(client.get(back).get_data(as_text=True)) == newest_first[PAGE_SIZE : 2 * PAGE_SIZE]
    first_again = re.search(r'href="([^"]*after=\d+[^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    html = client.get(first_again).get_data(as_text=True)
    assert rows(html) == newest_first[:PAGE_SIZE] and 'rel="prev"' not in html


def test_a_cursor_that_names_no_event_starts_from_the_newest(client, auth, admin, add_event):
    event = add_event("mail.retry")
    auth.login("root")
    assert rows(page(client, action="mail.retry", before="999999")) == [event.id]
    assert rows(page(client, action="mail.retry", before="abc")) == [event.id]


def test_user_names_link_to_the_user_page(app, client, auth, admin, add_event, make_user):
    anna = make_user("anna")
    event = add_event(
        "user.deactivate", actor=admin, target_type="user", target_id=str(anna.id), target_label="anna"
    )
    auth.login("root")
    html = page(client, action="user.deactivate")
    assert f'href="/admin/users/{admin.id}">root</a>' in html
    assert f'href="/admin/users/{anna.id}">anna</a>' in html
    assert f'href="/admin/users/{anna.id}">anna</a>' in client.get(f"/admin/audit/{event.id}").get_data(
        as_text=True
    )


def test_one_event_page_shows_everything_and_links_to_related_events(client, auth, admin, add_event):
    event = add_event(
        "password.link_issued",
        actor=admin,
        target_type="user",
        target_id="5",
        target_label="boris",
        address="cli",
        details={"via": "cli"},
    )
    auth.login("root")
    english(client)
    html = client.get(f"/admin/audit/{event.id}").get_data(as_text=True)
    assert "<h1>Set-password link issued</h1>" in html and "password.link_issued" in html
    assert "Via:</dt> <dd>cli</dd>" in html
    assert 'href="/admin/audit/?target=boris"' in html and 'href="/admin/audit/?actor=root"' in html
    assert client.get("/admin/audit/999999").status_code == 404


def test_hostile_text_in_a_record_is_shown_as_text(client, auth, admin, add_event):
    add_event("auth.login_failed", target_label="<script>alert(1)</script>", details={"x": "<b>y</b>"})
    auth.login("root")
    html = page(client)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>y</b>" not in html


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_export_is_filtered_formula_safe_and_itself_audited(client, auth, admin, make_user):
    # A failed sign-in records what was typed as the username: a formula, if an attacker likes.
    auth.login('=HYPERLINK("http://evil.example","click")', "wrong-password-1")
    auth.login("@SUM(1+1)", "wrong-password-1")
    auth.login("root")
    english(client)
    response = client.get(EXPORT, query_string={"action": "auth.login_failed"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    table = read_csv(response)
    header, data = table[0], table[1:]
    assert header[:5] == ["ID", "When", "Who", "Action code", "Action"]
    assert [row[3] for row in data] == ["auth.login_failed", "auth.login_failed"]
    assert [row[4] for row in data] == ["Failed sign-in", "Failed sign-in"]
    targets = [row[header.index("Target")] for row in data]
    assert targets == ["'@sum(1+1)", '\'=hyperlink("http://evil.example","click")']
    for row in data:
        for cell in row:
            assert not cell or cell[0] not in "=+-@", row

    exported = events("export.audit")
    assert len(exported) == 1
    assert exported[0].actor_name == "root"
    assert exported[0].details == {"filters": {"action": "auth.login_failed"}, "rows": 2, "format": "csv"}


def test_export_for_russian_excel_uses_semicolons_says_utf_8_once_and_stays_formula_safe(client, auth, admin):
    auth.login('=HYPERLINK("http://evil.example","click")', "wrong-password-1")
    auth.login("root")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert 'href="/admin/audit/export.csv?dialect=excel-ru"' in page and "CSV для Excel (русский)" in page
    response = client.get(EXPORT, query_string={"action": "auth.login_failed", "dialect": "excel-ru"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log-excel-ru.csv"'
    header, *data = csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";")
    assert header[:5] == ["ID", "Когда", "Кто", "Код действия", "Действие"]
    assert [row[header.index("Объект")] for row in data] == ['\'=hyperlink("http://evil.example","click")']
    assert events("export.audit")[-1].details["format"] == "csv-excel-ru"


def test_export_of_an_unknown_actor_is_empty_and_still_audited(client, auth, admin):
    auth.login("root")
    table = read_csv(client.get(EXPORT, query_string={"actor": "nobody"}))
    assert len(table) == 1  # the header only
    assert events("export.audit")[0].details["rows"] == 0


def test_export_times_are_in_the_readers_time_zone_with_the_offset(client, auth, admin, add_event):
    add_event("mail.retry", at=datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC), details={"rows": 3})
    auth.login("root")
    table = read_csv(client.get(EXPORT, query_string={"action": "mail.retry"}))
    header, (row,) = table[0], table[1:]
    assert row[header.index("Когда")] == "2026-03-01 12:00:05+03:00"
    assert row[header.index("Действие")] == "Письмо отправлено повторно"
    assert row[header.index("Подробности")] == "Строк: 3"

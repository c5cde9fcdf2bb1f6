"""The browser flow without a browser: upload, preview, confirm once, discard, and who may see what."""

from __future__ import annotations

import io
import re
import threading

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.accounts.models import User, UserImport
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.onboarding import views
from tests.conftest import csrf_from
from tests.onboarding.files import csv_bytes, xlsx_bytes

HEADER = ["ФИО", "Эл. почта", "Регион"]
GOOD = [HEADER, ["Иванов Иван Петрович", "ivan@example.ru", "77"], ["Сидорова Анна", "anna@example.ru", "78"]]


def send(client, content: bytes, filename: str = "люди.csv", **options):
    """Post the upload form as a browser does, encoded in memory (the test client would spool a big
    body to a temporary file it never closes)."""
    token = csrf_from(client.get("/admin/import/").get_data(as_text=True))
    values = MultiDict({"csrf_token": token, **{name: "y" for name, on in options.items() if on}})
    values.add("file", FileStorage(io.BytesIO(content), filename=filename))
    boundary, body = encode_multipart(values)
    return client.post("/admin/import/", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def import_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/admin/import/(\d+)$", response.headers["Location"]).group(1))


def confirm(client, number: int):
    token = csrf_from(client.get(f"/admin/import/{number}").get_data(as_text=True))
    return client.post(f"/admin/import/{number}/confirm", data={"csrf_token": token})


def usernames() -> list[str]:
    db.session.rollback()  # end the test's read: see what the requests committed
    return sorted(db.session.scalars(sa.select(User.username)))


@pytest.fixture
def signed_in_admin(admin, auth):
    auth.login("boss")
    return admin


def test_who_may_open_the_import(client, auth, make_user):
    assert client.get("/admin/import/").status_code == 302
    make_user("cand")
    make_user("teacher", role="instructor")
    make_user("coord77", role="coordinator", region="77")
    for username, status in (("cand", 403), ("teacher", 403), ("coord77", 200)):
        auth.login(username)
        assert client.get("/admin/import/").status_code == status
        auth.logout()


def test_upload_preview_confirm_result(client, signed_in_admin):
    page = client.get("/admin/import/").get_data(as_text=True)
    assert "Импорт пользователей" in page and 'type="file"' in page
    assert re.search(r'<input checked id="invite" name="invite" type="checkbox"', page)
    # Strict is on until the admin chooses to skip bad rows: a file with a bad row writes nothing.
    assert re.search(
        r'<input aria-describedby="strict-hint" checked id="strict" name="strict" type="checkbox"', page
    )

    number = import_id(
        send(client, csv_bytes([*GOOD, ["Без Региона", "none@example.ru", ""]], delimiter=";"), invite=True)
    )
    preview = client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert "Предпросмотр импорта" in preview
    assert "Импортировать 2 строки" in preview
    assert "ivanov.ip" in preview and "из ФИО" in preview
    # Errors come first, naming their column as the file heads it.
    assert preview.index("Без Региона") < preview.index("Иванов Иван Петрович")
    assert "<strong>Регион</strong>: Кандидату нужен регион." in preview
    assert usernames() == ["boss"]  # a preview writes nothing

    response = confirm(client, number)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/import/{number}")
    result = client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert "Импорт завершён" in result and "Пропущено строк" in result
    assert usernames() == ["boss", "ivanov.ip", "sidorova.a"]

    # A second click (or the other tab) changes nothing and shows the same result.
    response = confirm(client, number)
    assert response.status_code == 302
    assert usernames() == ["boss", "ivanov.ip", "sidorova.a"]
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "user.import")) == 1


def test_the_preview_filters_and_pages(client, signed_in_admin, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    rows = [["Без Почты", "", "77"], *([f"Человек {n}", f"p{n}@example.ru", "77"] for n in range(4))]
    number = import_id(send(client, csv_bytes([HEADER, *rows])))
    errors = client.get(f"/admin/import/{number}?show=error").get_data(as_text=True)
    assert "Без Почты" in errors and "Человек 0" not in errors
    first = client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert "Страница 1 из 3" in first and "Без Почты" in first and "Человек 1" not in first
    last = client.get(f"/admin/import/{number}?page=3").get_data(as_text=True)
    assert "Человек 3" in last and "Без Почты" not in last
    assert client.get(f"/admin/import/{number}?show=nonsense&page=999").status_code == 200


def test_unreadable_files_are_refused_on_the_upload_form(client, signed_in_admin):
    response = send(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "старый.xls")
    assert response.status_code == 400
    assert "Это файл старого Excel (.xls)" in response.get_data(as_text=True)
    response = send(client, csv_bytes(GOOD) + b"x" * 5 * 1024 * 1024, "big.csv")
    assert response.status_code == 400 and "Файл больше 5 МБ" in response.get_data(as_text=True)
    response = send(client, csv_bytes([["ФИО", "Телефон"], ["А", "1"]]), "bad.csv")
    assert response.status_code == 400
    assert "Нет обязательного столбца: Эл. почта, Регион." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserImport)) == 0


def test_strict_preview_offers_no_import_and_a_forced_confirm_writes_nothing(client, signed_in_admin):
    number = import_id(send(client, csv_bytes([*GOOD, ["Плохой", "bad", "77"]]), strict=True))
    preview = client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert "Строгий режим" in preview and "/confirm" not in preview
    token = csrf_from(preview)
    response = client.post(
        f"/admin/import/{number}/confirm", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Ничего не импортировано" in response.get_data(as_text=True)
    assert usernames() == ["boss"]
    assert db.session.get(UserImport, number).status == "previewed"


def test_discard(client, signed_in_admin):
    number = import_id(send(client, csv_bytes(GOOD)))
    token = csrf_from(client.get(f"/admin/import/{number}").get_data(as_text=True))
    response = client.post(
        f"/admin/import/{number}/discard", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Импорт отменён; ничего не записано." in response.get_data(as_text=True)
    assert "Этот импорт отменён" in client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert confirm(client, number).status_code == 302
    assert usernames() == ["boss"]


def test_forms_need_their_token(client, signed_in_admin):
    number = import_id(send(client, csv_bytes(GOOD)))
    assert client.post(f"/admin/import/{number}/confirm").status_code == 400
    assert client.post(f"/admin/import/{number}/discard").status_code == 400
    assert usernames() == ["boss"]


def test_only_the_uploader_or_an_admin_sees_an_import(client, auth, make_user, admin):
    make_user("coord77", role="coordinator", region="77")
    make_user("coord50", role="coordinator", region="50")
    auth.login("coord77")
    number = import_id(send(client, csv_bytes([HEADER, ["Москвич", "m@example.ru", "77"]])))
    auth.logout()
    auth.login("coord50")
    assert client.get(f"/admin/import/{number}").status_code == 404
    assert (
        client.post(f"/admin/import/{number}/confirm", data={"csrf_token": auth.csrf("/")}).status_code == 404
    )
    assert "Недавние импорты" not in client.get("/admin/import/").get_data(as_text=True)
    auth.logout()
    auth.login("boss")
    assert "Москвич" in client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert "Недавние импорты" in client.get("/admin/import/").get_data(as_text=True)


def test_the_preview_tells_nothing_of_accounts_the_uploader_may_not_manage(client, auth, make_user, admin):
    """An address or username of another region's account (or an admin's) is refused without its
    username, role or region: else a file of addresses would tell a coordinator whose each one is."""
    make_user("coord77", role="coordinator", region="77")
    make_user("far.secret", region="50", full_name="Дальний", email="far@example.ru")
    make_user("root.secret", role="admin", email="root@example.ru")
    make_user("near", region="77", full_name="Ближний", email="near@example.ru")
    rows = [
        [*HEADER, "Логин"],
        ["Кто-то", "far@example.ru", "", ""],  # another region's address
        ["Кто-то", "root@example.ru", "", ""],  # an admin's address
        ["Кто-то", "new@example.ru", "77", "root.secret"],  # an admin's username
        ["Кто-то", "far@example.ru", "77", "near"],  # their own candidate, another region's address
    ]
    auth.login("coord77")
    preview = client.get(f"/admin/import/{import_id(send(client, csv_bytes(rows)))}").get_data(as_text=True)
    assert preview.count("Вы не можете менять эту учётную запись.") == 4
    assert "far.secret" not in preview and "Администратор" not in preview
    assert not re.search(r"<td[^>]*>\s*50\s*</td>", preview)  # far's region
    auth.logout()
    auth.login("boss")  # an admin manages every one of them: the same file names them
    preview = client.get(f"/admin/import/{import_id(send(client, csv_bytes(rows)))}").get_data(as_text=True)
    assert "far.secret" in preview and "Администратор" in preview


def test_names_are_shown_as_text(client, signed_in_admin):
    hostile = '<script>alert(1)</script>=HYPERLINK("http://x")'
    number = import_id(
        send(client, xlsx_bytes([HEADER, [hostile, "x@example.ru", 77]], text_cells=["A2"]), "x.xlsx")
    )
    preview = client.get(f"/admin/import/{number}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in preview
    assert "&lt;script&gt;alert(1)&lt;/script&gt;=HYPERLINK(&#34;http://x&#34;)" in preview
    confirm(client, number)
    assert db.session.scalar(sa.select(User.full_name).where(User.email == "x@example.ru")) == hostile


def test_two_tabs_confirming_at_once_import_once(app, admin, make_user):
    """Both requests run at the same moment; the second must find the import already confirmed."""
    from tests.conftest import AuthActions

    first, second = app.test_client(), app.test_client()
    AuthActions(first).login("boss")
    AuthActions(second).login("boss")
    rows = [[f"Человек {n}", f"p{n}@example.ru", "77"] for n in range(30)]
    number = import_id(send(first, csv_bytes([HEADER, *rows])))
    tokens = [csrf_from(c.get(f"/admin/import/{number}").get_data(as_text=True)) for c in (first, second)]
    barrier = threading.Barrier(2)
    statuses = []

    def press(client, token):
        barrier.wait()
        statuses.append(
            client.post(f"/admin/import/{number}/confirm", data={"csrf_token": token}).status_code
        )

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip((first, second), tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    db.session.expire_all()
    assert len(usernames()) == 31
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "user.import")) == 1
    assert db.session.get(UserImport, number).summary["counts"]["new"] == 30

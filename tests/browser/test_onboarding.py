"""Bulk import journeys: an admin brings in 50 candidates from Excel after fixing three bad rows; a
regional coordinator's row from another region is refused in the preview."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from lms.accounts.models import User
from lms.extensions import db
from lms.mail.models import OutboxMessage
from tests.browser.conftest import assert_accessible, assert_fits
from tests.mail.conftest import smtp  # noqa: F401  (fixture: a real SMTP server on 127.0.0.1)

PASSWORD = "correct-horse-battery"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Row numbers as Excel shows them (the header is row 1) and what is wrong there.
BAD = {7: ("email", "ivan.at.example.ru"), 20: ("region", "Атлантида"), 41: ("role", "царь")}


def people_xlsx(*, broken: bool) -> bytes:
    """50 candidates: Russian headings in their own order, regions as numbers, names and codes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Кандидаты"
    sheet.append(["Регион", "ФИО", "Эл. почта", "Роль"])
    for number in range(2, 52):
        row = {
            "region": 77 if number % 2 else "Московская область",
            "email": f"kandidat{number}@example.ru",
            "role": "кандидат",
        }
        if broken and number in BAD:
            field, value = BAD[number]
            row[field] = value
        sheet.append([row["region"], f"Кандидатов{number} Иван Петрович", row["email"], row["role"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(
    page, live_server, name: str, content: bytes, mime: str = XLSX_TYPE, *, strict: bool = True
) -> None:
    page.goto(f"{live_server}/admin/import/")
    page.get_by_label("Файл (.xlsx или .csv)").set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}
    )
    page.get_by_label("Строго: ничего не импортировать, если хоть в одной строке ошибка").set_checked(strict)
    page.get_by_role("button", name="Проверить файл").click()
    expect(page.get_by_role("heading", name="Предпросмотр импорта", level=1)).to_be_visible()


def check_page(page) -> None:
    """Accessible as it is; no sideways scrolling on a phone; back to the desktop size."""
    assert_accessible(page)
    assert_fits(page, 320)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_admin_imports_fifty_candidates_after_fixing_three_rows(
    app,
    page,
    live_server,
    login,
    make_user,
    smtp,  # noqa: F811
):
    make_user("boss", role="admin", full_name="Главный Администратор")
    login("boss", PASSWORD)
    page.goto(f"{live_server}/admin/")
    page.get_by_role("link", name="Импорт пользователей").click()
    expect(page.get_by_role("heading", name="Импорт пользователей", level=1)).to_be_visible()
    expect(page.get_by_label("Отправить приглашения новым пользователям")).to_be_checked()
    check_page(page)

    upload(page, live_server, "кандидаты.xlsx", people_xlsx(broken=True))
    expect(page.locator(".count-error .count-figure")).to_have_text("3")
    expect(page.locator(".count-new .count-figure")).to_have_text("47")
    # Errors come first, each naming its row and column.
    error_rows = page.locator("tr.outcome-error")
    expect(error_rows).to_have_count(3)
    expect(error_rows.locator("th")).to_have_text(["7", "20", "41"])
    expect(page.locator('tr[data-row="7"]')).to_contain_text("Эл. почта: «ivan.at.example.ru» — не адрес")
    expect(page.locator('tr[data-row="20"]')).to_contain_text("Регион: Неизвестный регион «Атлантида».")
    expect(page.locator('tr[data-row="41"]')).to_contain_text("Роль: Неизвестная роль «царь».")
    expect(page.locator('tr[data-row="2"]')).to_contain_text("kandidatov2.ip")
    check_page(page)
    # On a phone the wide table scrolls inside its own box.
    page.set_viewport_size({"width": 320, "height": 800})
    box = page.locator(".table-scroll").last
    assert box.evaluate("element => element.scrollWidth > element.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    upload(page, live_server, "кандидаты-исправлено.xlsx", people_xlsx(broken=False))
    expect(page.locator(".count-error .count-figure")).to_have_text("0")
    page.get_by_role("button", name="Импортировать 50 строк").click()
    expect(page.get_by_role("heading", name="Импорт завершён", level=1)).to_be_visible()
    expect(page.locator(".flash-success")).to_have_text("Импорт завершён.")
    created = page.locator(".stats div").filter(has_text="Создано учётных записей")
    expect(created.locator("dd")).to_have_text("50")
    check_page(page)

    db.session.rollback()
    candidates = db.session.scalars(sa.select(User).where(User.role == "candidate")).all()
    assert len(candidates) == 50
    assert {user.region_code for user in candidates} == {"77", "50"}
    invitations = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
    assert sorted(message.to_address for message in invitations) == sorted(user.email for user in candidates)

    # The mail worker sends them through a real SMTP server; one candidate opens hers.
    sent = app.test_cli_runner().invoke(args=["lms", "send-mail"])
    assert sent.exit_code == 0, sent.output
    letters = {str(letter["To"]): letter for letter in smtp.messages()}
    assert len(letters) == 50
    letter = next(value for key, value in letters.items() if "kandidat2@example.ru" in key)
    text = letter.get_body(preferencelist=("plain",)).get_content()
    assert "kandidatov2.ip" in text
    link = re.search(r"http://\S+/password/set/\S+", text).group(0)
    assert link.startswith(live_server)
    admin_url = page.url
    page.get_by_role("button", name="Выйти").click()
    page.goto(link)
    expect(page.get_by_role("heading", name="Выберите пароль")).to_be_visible()
    page.get_by_label("Новый пароль", exact=True).fill("выборы в сентябре 2026")
    page.get_by_label("Новый пароль ещё раз").fill("выборы в сентябре 2026")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_label("Имя пользователя")).to_have_value("kandidatov2.ip")
    page.get_by_label("Пароль").fill("выборы в сентябре 2026")
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Мои курсы")).to_be_visible()
    page.get_by_role("button", name="Выйти").click()
    login("boss", PASSWORD)
    page.goto(admin_url)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Import finished", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Import another file").click()
    expect(page.get_by_role("heading", name="Import users", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="кандидаты-исправлено.xlsx")).to_be_visible()
    assert_accessible(page)


def test_regional_coordinator_cannot_import_another_regions_candidate(page, live_server, login, make_user):
    make_user("pavel", role="coordinator", region="77", full_name="Павел Московский")
    login("pavel", PASSWORD)
    content = "ФИО;Эл. почта;Регион\r\nМосквич Иван;m@example.ru;77\r\nПетербуржец Пётр;p@example.ru;78\r\n"
    # Strict by default: the bad row is named and nothing may be imported.
    upload(page, live_server, "люди.csv", content.encode("cp1251"), mime="text/csv")
    expect(page.locator('tr[data-row="3"]')).to_contain_text(
        "Регион: Вы управляете учётными записями только своего региона."
    )
    expect(page.get_by_text("Строгий режим: пока в строках есть ошибки")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Импортировать"))).to_have_count(0)
    # Strict unticked: the good row may be imported and the bad one skipped.
    upload(page, live_server, "люди.csv", content.encode("cp1251"), mime="text/csv", strict=False)
    expect(page.locator('tr[data-row="2"]')).to_contain_text("Новая")
    expect(page.get_by_text("Файл прочитан в кодировке Windows-1251")).to_be_visible()
    page.get_by_role("button", name="Импортировать 1 строку").click()
    expect(page.get_by_role("heading", name="Импорт завершён", level=1)).to_be_visible()
    expect(page.locator("table")).to_contain_text("Вы управляете учётными записями только своего региона.")
    check_page(page)
    db.session.rollback()
    assert sorted(db.session.scalars(sa.select(User.username))) == ["moskvich.i", "pavel"]
    assert re.fullmatch(r".*/admin/import/\d+", page.url)

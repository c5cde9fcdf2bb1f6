"""`flask users import`: the browser's checks, one line per problem, a summary, an exit status."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.mail.models import OutboxMessage
from tests.onboarding.files import csv_bytes, xlsx_bytes

HEADER = ["ФИО", "Эл. почта", "Регион", "Роль"]


def write(tmp_path, rows, name="люди.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes([HEADER, *rows], delimiter=";") if name.endswith(".csv") else rows)
    return path


def usernames() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(sa.select(User.username)))


def outbox() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def test_a_clean_file_is_imported_with_invitations(runner, tmp_path):
    path = write(
        tmp_path,
        [["Иванов Иван", "ivan@example.ru", "77", ""], ["Петрова Анна", "anna@example.ru", "50", ""]],
    )
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Новых: 2, к изменению: 0, без изменений: 0, с ошибками: 0.",
        "Записано; приглашений в очереди: 2.",
    ]
    assert result.stderr == ""
    assert usernames() == ["ivanov.i", "petrova.a"]
    assert outbox() == 2
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.import"))
    assert (event.actor_id, event.address, event.details["counts"]["new"]) == (None, "cli", 2)

    again = runner.invoke(args=["users", "import", str(path), "--no-invite"])
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == "Новых: 0, к изменению: 0, без изменений: 2, с ошибками: 0."


def test_bad_rows_one_line_each_and_exit_status_1(runner, tmp_path):
    path = write(
        tmp_path,
        [
            ["Иванов Иван", "ivan@example.ru", "77", ""],
            ["Без Адреса", "nope", "77", ""],
            ["Дальний", "far@example.ru", "Атлантида", "царь"],
        ],
    )
    result = runner.invoke(args=["users", "import", str(path), "--no-invite", "--skip-bad-rows"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:3: Эл. почта: «nope» — не адрес электронной почты.",
        f"{path}:4: Регион: Неизвестный регион «Атлантида». Укажите код (77) или название (г. Москва).",
        f"{path}:4: Роль: Неизвестная роль «царь». Напишите кандидат, преподаватель, координатор или "
        "администратор (или candidate, instructor, coordinator, admin).",
    ]
    assert result.stdout.splitlines() == [
        "Новых: 1, к изменению: 0, без изменений: 0, с ошибками: 2.",
        "Записано; приглашений в очереди: 0.",
    ]
    assert usernames() == ["ivanov.i"]  # the good row was written


def test_strict_by_default_and_dry_run_write_nothing(runner, tmp_path):
    path = write(tmp_path, [["Иванов Иван", "ivan@example.ru", "77", ""], ["Без Адреса", "nope", "77", ""]])
    for flags in ([], ["--strict"]):
        strict = runner.invoke(args=["users", "import", str(path), *flags])
        assert strict.exit_code == 1
        assert strict.stderr.splitlines() == [f"{path}:3: Эл. почта: «nope» — не адрес электронной почты."]
        assert (
            strict.stdout.splitlines()[-1] == "Ничего не записано: импорт строгий, а в строках есть ошибки."
        )
    dry = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 1
    assert dry.stdout.splitlines()[-1] == "Пробный прогон: ничего не записано."
    clean = write(tmp_path, [["Иванов Иван", "ivan@example.ru", "77", ""]], name="чисто.csv")
    assert runner.invoke(args=["users", "import", str(clean), "--dry-run"]).exit_code == 0
    assert usernames() == []
    assert outbox() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_a_refused_file(runner, tmp_path):
    path = tmp_path / "старый.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: Это файл старого Excel (.xls) или книга с паролем.")
    merged = tmp_path / "merged.xlsx"
    merged.write_bytes(
        xlsx_bytes([["ФИО", None, "Регион"], ["А", "Б", 77]], merge=["A1:B1"], more_sheets=["Ещё"])
    )
    result = runner.invoke(args=["users", "import", str(merged)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{merged}: В строке заголовков есть объединённые ячейки (A1:B1). Отмените объединение, чтобы "
        "у каждого столбца был свой заголовок."
    ]


def test_acting_as_a_regional_coordinator(runner, tmp_path, make_user):
    make_user("coord77", role="coordinator", region="77")
    make_user("anna", region="77")
    path = write(tmp_path, [["Москвич", "m@example.ru", "77", ""], ["Петербуржец", "p@example.ru", "78", ""]])
    result = runner.invoke(
        args=["users", "import", str(path), "--as", "coord77", "--no-invite", "--skip-bad-rows"]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:3: Регион: Вы управляете учётными записями только своего региона."
    ]
    assert "moskvich" in usernames() and "peterburzhets" not in usernames()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.import"))
    assert event.actor_name == "coord77"

    refused = runner.invoke(args=["users", "import", str(path), "--as", "anna"])
    assert refused.exit_code == 1 and "'anna' is not an active admin or coordinator." in refused.output

"""Bulk user import at 10,000 rows: reading, the preview (every row checked against the database)
and the confirmation (writing), against 20,000 existing accounts.

The file: 4,000 rows about existing accounts (half unchanged, half with a new name, region or
cohort), 5,900 new people, 100 rows with errors. Runs on a throwaway SQLite database, or on
DATABASE_URL (an empty PostgreSQL database) when given; records the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import io
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import write_section

EXISTING = 20_000
ROWS = 10_000
SURNAMES = [
    "Иванов",
    "Петров",
    "Сидоров",
    "Кузнецов",
    "Смирнов",
    "Попов",
    "Волков",
    "Зайцев",
    "Орлов",
    "Белов",
]
NAMES = ["Иван", "Пётр", "Анна", "Мария", "Олег", "Юлия", "Сергей", "Елена", "Яков", "Щукин"]
REGIONS = ["77", "50", "78", "16", "66", "23", "54", "61", "02", "52"]


def seed(rng: random.Random) -> None:
    """20,000 candidates written in bulk (no audit or hashing: the bench measures the import)."""
    import sqlalchemy as sa

    from lms.accounts.models import User, user_search_text
    from lms.core.roles import Role
    from lms.extensions import db
    from lms.progress.cohorts import create_cohort

    rows = []
    for n in range(EXISTING):
        name = f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {n}"
        rows.append(
            {
                "username": f"existing{n}",
                "full_name": name,
                "email": f"existing{n}@example.ru",
                "password_hash": "!unusable",
                "role": Role.CANDIDATE,
                "region_code": REGIONS[n % len(REGIONS)],
                "is_active": True,
                "search_text": user_search_text(name, f"existing{n}", f"existing{n}@example.ru"),
            }
        )
    db.session.execute(sa.insert(User), rows)
    for code in REGIONS:
        create_cohort(f"Весна {code}", region_code=code)
    db.session.commit()


def people(rng: random.Random) -> list[list[object]]:
    rows: list[list[object]] = [["ФИО", "Эл. почта", "Регион", "Роль", "Группа"]]
    for n in range(4000):  # existing accounts
        region = REGIONS[n % len(REGIONS)]
        changed = n % 2
        rows.append(
            [
                f"Новое Имя {n}" if changed and n % 3 == 0 else None,
                f"existing{n}@example.ru",
                int(region),
                "кандидат",
                f"Весна {region}" if changed and n % 3 == 1 else "",
            ]
        )
    for n in range(ROWS - 4000 - 100):
        region = rng.choice(REGIONS)
        rows.append(
            [
                f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(NAMES)}ович",
                f"new{n}@example.ru",
                int(region),
                "",
                f"Весна {region}" if n % 4 == 0 else "",
            ]
        )
    for n in range(100):
        rows.append([f"Ошибка {n}", f"bad{n}", "Атлантида", "", ""])
    return rows


def xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Люди")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]]) -> bytes:
    import csv

    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";").writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode("cp1251")


def timed(label: str, timings: dict[str, float], action):
    start = time.perf_counter()
    result = action()
    timings[label] = time.perf_counter() - start
    print(f"{label:<52} {timings[label]:7.2f} s")
    return result


def main() -> None:
    import sqlalchemy as sa

    from lms import create_app
    from lms.accounts.models import User
    from lms.extensions import db
    from lms.onboarding.cli import SystemImport
    from lms.onboarding.planning import build_plan
    from lms.onboarding.reading import read_table
    from lms.onboarding.services import apply_plan

    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            seed(rng)
            rows = people(rng)
            # Unchanged rows carry the name the account has.
            names = dict(db.session.execute(sa.select(User.email, User.full_name)).all())
            for row in rows[1:4001]:
                row[0] = row[0] or names[row[1]]
            workbook, text = xlsx(rows), csv_bytes(rows)
            print(f"XLSX {len(workbook) // 1024} KB, CSV {len(text) // 1024} KB, {ROWS} rows")
            actor = SystemImport()
            read_table(workbook)  # once untimed: the first call imports openpyxl
            timings: dict[str, float] = {}
            timed("read XLSX (10,000 rows)", timings, lambda: read_table(workbook))
            timed("read CSV, Windows-1251 (10,000 rows)", timings, lambda: read_table(text))
            plan = timed("preview XLSX: read + check every row", timings, lambda: build_plan(workbook, actor))
            db.session.rollback()
            print("   ", plan.counts())
            timed("preview CSV: read + check every row", timings, lambda: build_plan(text, actor))
            db.session.rollback()

            def confirm(invite: bool):
                plan = build_plan(workbook, actor, invite=invite)
                applied = apply_plan(plan, invite=invite, strict=False)
                db.session.commit()
                return applied

            applied = timed("confirm XLSX: check again, write, invite", timings, lambda: confirm(True))
            print("   ", applied.counts, "invited", applied.invited)
            again = timed("the same file again (all unchanged)", timings, lambda: confirm(True))
            print("   ", again.counts)
            db.session.remove()
            db.engine.dispose()
    backend = database.split(":", 1)[0].split("+", 1)[0]
    body = (
        f"{ROWS:,} rows (4,000 existing accounts, 5,900 new people, 100 errors) against {EXISTING:,} "
        f"accounts; database: {backend}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Confirmation writes the new accounts together "
        "(`create_accounts`: one INSERT for the users, one for their audit records), updates the changed "
        "ones through the account services, adds cohort members in one INSERT per cohort and queues an "
        "invitation for each new account.\n\n"
        "| step | time |\n|---|---|\n" + "\n".join(f"| {k} | {v:.2f} s |" for k, v in timings.items()) + "\n"
    )
    write_section(f"User import, {backend} (bench/user_import.py)", body)


if __name__ == "__main__":
    main()

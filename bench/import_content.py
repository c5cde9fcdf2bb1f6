"""Import speed: a generated tree of 500 lessons (~6 KB each), imported three ways.

Prints the time of a first import, of a re-import with nothing changed and of a re-import after
one file changed, and records them in docs/benchmarks.md. Runs on a throwaway SQLite database
(or on DATABASE_URL when given).
"""

from __future__ import annotations

import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import write_section

MODULES = 25
LESSONS_PER_MODULE = 20
WORDS = [
    "избиратель",
    "агитация",
    "кампания",
    "штаб",
    "волонтёр",
    "участок",
    "комиссия",
    "отчётность",
    "фонд",
    "встреча",
    "закон",
    "подпись",
    "регистрация",
    "календарь",
    "график",
    "маршрут",
    "листовка",
    "обращение",
    "приёмная",
    "диалог",
]


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def lesson_body(rng: random.Random, index: int) -> str:
    parts = []
    for section in range(4):
        parts.append(f"## Раздел {section + 1}\n")
        parts.append(paragraph(rng, 120) + "\n")
        parts.append("| Шаг | Срок |\n|---|---|\n| Подготовка | 1 неделя |\n| Проведение | 1 день |\n")
        parts.append('!!! note "Запомните"\n    ' + paragraph(rng, 20) + "\n")
    return "\n".join(parts)


def generate(root: Path, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    course = root / "bench-course"
    course.mkdir(parents=True)
    modules = [f"m{m:02d}" for m in range(MODULES)]
    (course / "course.md").write_text(
        "---\nid: bench-course\ntitle: Нагрузочный курс\nsummary: Сгенерирован для замера\nmodules:\n"
        + "".join(f"  - {name}\n" for name in modules)
        + "---\nВведение.\n",
        encoding="utf-8",
    )
    lesson_files = []
    for m, name in enumerate(modules):
        folder = course / name
        folder.mkdir()
        items = [f"l{lesson:02d}.md" for lesson in range(LESSONS_PER_MODULE)]
        (folder / "module.md").write_text(
            f"---\nid: bench-m{m}\ntitle: Модуль {m}\nitems:\n"
            + "".join(f"  - {i}\n" for i in items)
            + "---\n",
            encoding="utf-8",
        )
        for lesson, item in enumerate(items):
            path = folder / item
            path.write_text(
                f"---\nid: bench-m{m}-l{lesson}\ntitle: Урок {m}.{lesson}\nminutes: 10\n---\n"
                + lesson_body(rng, lesson),
                encoding="utf-8",
            )
            lesson_files.append(path)
    return lesson_files


def _met(seconds: float, target: float) -> str:
    return "yes" if seconds < target else "NO"


def main() -> None:
    from lms import create_app
    from lms.content.sync import sync_tree
    from lms.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        files = generate(tmp_path / "courses")
        sizes = [path.stat().st_size for path in files]
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            timings = {}
            for label, action in (
                ("first import (500 lessons)", None),
                ("re-import, nothing changed", None),
                ("re-import, one file changed", files[137]),
            ):
                if action is not None:
                    action.write_text(
                        action.read_text(encoding="utf-8") + "\nДобавлен абзац.\n", encoding="utf-8"
                    )
                start = time.perf_counter()
                report = sync_tree(tmp_path / "courses")
                db.session.commit()
                timings[label] = time.perf_counter() - start
                print(
                    f"{label:<32} {timings[label]:7.3f} s   ({len(report.added)} added, "
                    f"{len(report.changed)} changed, {report.unchanged} unchanged)"
                )
            db.session.remove()
            db.engine.dispose()
    targets = {
        "first import (500 lessons)": 10,
        "re-import, nothing changed": 1,
        "re-import, one file changed": 0.3,
    }
    rows = [
        f"| {label} | {seconds:.3f} s | < {targets[label]} s | {_met(seconds, targets[label])} |"
        for label, seconds in timings.items()
    ]
    backend = database.split(":", 1)[0]
    body = (
        f"Tree: {len(files)} lessons in {MODULES} modules, mean lesson {sum(sizes) // len(sizes)} bytes; "
        f"database: {backend}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.\n\n"
        "| step | time | target | met |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    write_section("Content import (bench/import_content.py)", body)


if __name__ == "__main__":
    main()

"""`flask lms import-gift`: a GIFT bank becomes a quiz the linter and importer accept."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db

GIFT = """// Банк вопросов по финансам
$CATEGORY: $course$/Финансы

::Счёт:: Где хранятся средства фонда? {
  =На специальном избирательном счёте#Верно.
  ~В кассе штаба#Нельзя.
  ~На личной карте#Нельзя.
}

::Аноним:: Анонимные пожертвования разрешены. {F}

::Сколько:: Сколько отчётов сдаёт кандидат (первый и итоговый)? {#2}
"""


def test_import_gift_writes_a_valid_quiz_and_lists_it(app, runner, courses_dir, tmp_path):
    gift = tmp_path / "finansy.gift"
    gift.write_text("\ufeff" + GIFT.replace("\n", "\r\n"), encoding="utf-8")
    module = next(courses_dir.rglob("module.md")).parent
    result = runner.invoke(
        args=["lms", "import-gift", str(gift), "--into", str(module), "--id", "gift-finansy"]
    )
    assert result.exit_code == 0, result.output
    written = module / "gift-finansy.md"
    assert written.exists()
    assert "- gift-finansy.md" in (module / "module.md").read_text("utf-8")
    check = runner.invoke(args=["lms", "check", str(courses_dir)])
    assert check.exit_code == 0, check.output
    assert runner.invoke(args=["lms", "import"]).exit_code == 0
    quiz = db.session.scalar(sa.select(Lesson).where(Lesson.key == "gift-finansy"))
    assert quiz.kind == "quiz"
    assert [q["type"] for q in quiz.payload["questions"]] == ["single", "truefalse", "numeric"]


def test_import_gift_refuses_essays_and_broken_files_writing_nothing(runner, courses_dir, tmp_path):
    gift = tmp_path / "bad.gift"
    gift.write_text("::Эссе:: Опишите ваш штаб. {}\n\n::Сломан:: Вопрос {=да ~нет\n", encoding="utf-8")
    module = next(courses_dir.rglob("module.md")).parent
    before = sorted(path.name for path in module.iterdir())
    result = runner.invoke(args=["lms", "import-gift", str(gift), "--into", str(module)])
    assert result.exit_code == 1
    assert f"{gift}:1:" in result.output and "essay" in result.output
    assert f"{gift}:3:" in result.output
    assert "nothing written" in result.output
    assert sorted(path.name for path in module.iterdir()) == before


def test_import_gift_needs_a_module_folder(runner, courses_dir, tmp_path):
    gift = tmp_path / "x.gift"
    gift.write_text("Вопрос {T}\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-gift", str(gift), "--into", str(Path(courses_dir))])
    assert result.exit_code != 0 and "module.md" in result.output

"""Course staff fixtures: two exercise courses (A and B) and the quiz course, with work waiting in each."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Course, Lesson
from lms.exercises import services as exercises
from lms.extensions import db
from tests.exercises.files import pdf

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "courses"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """ex-course (A), a copy of it with its own ids (B, "ex-course-b") and quiz-course."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "exercises" / "ex-course", target / "ex-course")
    second = target / "ex-course-b"
    shutil.copytree(FIXTURES / "exercises" / "ex-course", second)
    for path in second.rglob("*.md"):
        text = re.sub(r"^id: (\S+)$", r"id: \1-b", path.read_text(encoding="utf-8"), count=1, flags=re.M)
        text = text.replace("title: Практика работы с избирателями", "title: Вторая практика")
        path.write_text(text, encoding="utf-8")
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", target / "quiz-course")
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


@dataclass
class Work:
    """Per course key: the submission id, its attachment id and the free-text playthrough id."""

    submission: dict[str, int]
    attachment: dict[str, int]
    playthrough: dict[str, int]


@pytest.fixture
def work(app, imported, make_user) -> Work:
    """Anna (77) submitted the plan with a PDF and finished a conversation with a free-text reply,
    in both exercise courses; all of it waits for review."""
    anna = make_user("anna", region="77", full_name="Анна Петрова")
    found = Work({}, {}, {})
    for suffix, key in (("", "ex-course"), ("-b", "ex-course-b")):
        plan = db.session.scalar(sa.select(Lesson).where(Lesson.key == f"as-plan{suffix}"))
        door = db.session.scalar(sa.select(Lesson).where(Lesson.key == f"sc-door{suffix}"))
        submission = exercises.save_submission(
            anna,
            plan,
            text="План встречи",
            uploads=[exercises.Upload("план.pdf", pdf())],
            remove_ids=[],
            submit=True,
        )
        playthrough = exercises.start_playthrough(anna, door)
        for step, (reply, text) in enumerate(
            ((2, "Здравствуйте! Вам удобно говорить?"), (0, None), (1, None))
        ):
            exercises.choose_reply(playthrough, step, reply, text)
        db.session.commit()
        found.submission[key] = submission.id
        found.attachment[key] = submission.attachments[0].id
        found.playthrough[key] = playthrough.id
    return found


def course_id(key: str) -> int:
    return db.session.scalar(sa.select(Course.id).where(Course.key == key))

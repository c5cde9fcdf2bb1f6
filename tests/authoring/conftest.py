"""Authoring fixtures: the tiny course imported, its staff, and helpers that edit through drafts."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.authoring.drafts import open_for_edit, save_draft
from lms.content.models import Course
from lms.content.staff import add_instructor
from lms.extensions import db

LESSON = "tiny-course/01-one/01-first.md"
MODULE = "tiny-course/01-one/module.md"
QUIZ = "quiz-course/01-osnovy/02-proverka.md"
SCENARIO = "ex-course/01-praktika/02-dver.md"
ASSIGNMENT = "ex-course/01-praktika/03-plan.md"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """Three courses: the tiny one (lessons), the quiz course and the exercises course."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "good" / "tiny-course", target / "tiny-course")
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", target / "quiz-course")
    shutil.copytree(FIXTURES / "exercises" / "ex-course", target / "ex-course")
    return target


@pytest.fixture
def admin(make_user):
    return make_user("admin1", role="admin")


@pytest.fixture
def teacher(make_user, imported):
    """An instructor on the staff of the tiny course."""
    user = make_user("teacher1", role="instructor")
    course = db.session.scalar(sa.select(Course).where(Course.folder == "tiny-course"))
    add_instructor(course, user)
    db.session.commit()
    return user


@pytest.fixture
def edit(app) -> Callable:
    """edit(rel, text, user): save a draft over whatever the editor would show now."""

    def do(rel: str, text: str, user) -> None:
        save_draft(rel, text, open_for_edit(rel).token, user)
        db.session.commit()

    return do


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def git_courses(courses_dir) -> Path:
    """The courses folder as a git work tree with everything committed by someone else."""
    git(courses_dir, "init", "-q")
    git(courses_dir, "config", "user.name", "Maintainer")
    git(courses_dir, "config", "user.email", "maintainer@example.org")
    git(courses_dir, "add", "-A")
    git(courses_dir, "commit", "-q", "-m", "initial")
    return courses_dir

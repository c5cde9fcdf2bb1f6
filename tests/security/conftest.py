"""Security fixtures: one school with every kind of item (lessons, a quiz, a scenario, an
assignment) in the three fixture courses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """The quiz, exercises, survey and tiny fixture courses side by side."""
    target = tmp_path / "courses"
    target.mkdir()
    for fixture in ("quiz", "exercises", "good", "survey"):
        for course in (FIXTURES / fixture).iterdir():
            shutil.copytree(course, target / course.name)
    return target


@pytest.fixture
def app(app, tmp_path) -> Flask:
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app

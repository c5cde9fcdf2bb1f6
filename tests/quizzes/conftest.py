"""Quiz fixtures: the quiz fixture course imported, and forms that answer right or wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db

QUIZ_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "courses" / "quiz"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(QUIZ_FIXTURE, target)
    return target


@pytest.fixture
def quiz(imported) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == "q-all"))


def answer_form(
    question: dict, *, right: bool = True, served: list[str] | None = None
) -> dict[str, list[str]]:
    """Form fields a browser would send for this question, answering it right (or wrong).

    `served` is the attempt's order of matching right sides: the page offers them by position.
    """
    name = f"q-{question['key']}"
    kind = question["type"]
    options = question.get("options", [])
    answer = question.get("answer", {})
    if kind == "single":
        chosen = [o["key"] for o in options if o["correct"] == right][:1]
        return {name: chosen}
    if kind == "multiple":
        return {name: [o["key"] for o in options if o["correct"] == right]}
    if kind == "truefalse":
        return {name: ["true" if answer["value"] == right else "false"]}
    if kind == "short":
        return {name: [answer["accepted"][0].upper() + "  " if right else "совсем не то"]}
    if kind == "numeric":
        value = answer["value"] if "value" in answer else answer["min"]
        return {name: [str(value).replace(".", ",") if right else str(value + 1000)]}
    if kind == "ordering":
        keys = [o["key"] for o in options]
        if not right:
            keys = keys[1:] + keys[:1]
        return {f"{name}-{key}": [str(position)] for position, key in enumerate(keys, start=1)}
    if kind == "matching":
        keys = [o["key"] for o in options]
        targets = keys if right else keys[1:] + keys[:1]
        assert served is not None, "matching answers need the attempt's served order"
        return {
            f"{name}-{left}": [str(served.index(target) + 1)]
            for left, target in zip(keys, targets, strict=True)
        }
    raise AssertionError(kind)


def full_form(
    quiz: Lesson, attempt, *, right: bool = True, only: set[str] | None = None
) -> dict[str, list[str]]:
    """Answers to every question of an attempt (or only some), as the browser posts them."""
    served = {item["key"]: item["options"] for item in attempt.layout}
    form: dict[str, list[str]] = {}
    for question in quiz.payload["questions"]:
        if (only is None or question["key"] in only) and question["key"] in served:
            form.update(answer_form(question, right=right, served=served[question["key"]]))
    return form

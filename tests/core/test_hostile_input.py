"""Hostile and malformed input gets a clear answer (4xx or a form error), never a 500."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
ATTACKS = [
    "",
    " ",
    "\x00",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00%2e%2e",
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "ё" * 5000,
    '=HYPERLINK("http://x")',
    "\ud7ff\ufffd\u202e",
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # an Arabic-Indic three: int() reads it
]


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """Every kind of item at once: lessons, a quiz, a scenario and an assignment."""
    target = tmp_path / "courses"
    for name in ("good", "quiz", "exercises"):
        for course in (FIXTURES / name).iterdir():
            shutil.copytree(course, target / course.name)
    return target


@pytest.mark.parametrize("value", ATTACKS)
def test_login_form(client, value):
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": value, "password": value, "next": value, "csrf_token": token.group(1)}
    )
    # A NUL byte is refused as a bad request; anything else is a failed sign-in shown on the form.
    html = response.get_data(as_text=True)
    if "\x00" in value:
        assert response.status_code == 400
    else:
        assert response.status_code == 200 and 'name="username"' in html


def test_every_candidate_form_survives_garbage(app, client, auth, imported, make_user, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    make_user("anna")
    auth.login("anna")
    quiz_start = auth.post("/courses/quiz-course/quizzes/q-all/start", page="/")
    attempt = quiz_start.headers["Location"]
    scenario = auth.post("/courses/ex-course/scenarios/sc-door/start", page="/").headers["Location"]
    targets = [
        attempt + "/save",
        attempt + "/submit",
        scenario,
        "/courses/ex-course/assignments/as-plan",
        "/courses/tiny-course/lessons/l-one/complete",
        "/courses/tiny-course/start",
        "/language/xx",
    ]
    html = auth.client.get(attempt).get_data(as_text=True)
    names = [
        *sorted(set(re.findall(r'name="(q-[^"]+)"', html))),
        "step",
        "reply",
        "free_text",
        "text",
        "version",
    ]
    for value in ATTACKS:
        form = MultiDict([(name, value) for name in names] + [("csrf_token", auth.csrf("/"))])
        for target in targets[2:]:
            response = auth.client.post(target, data=form)
            assert response.status_code < 500, (target, value)
        response = auth.client.post(targets[0], data=form)
        assert response.status_code < 500, (targets[0], value)
    for path in (
        "/courses/%00",
        "/courses/tiny-course/lessons/" + "x" * 3000,
        "/quiz-attempts/99999999999999999999",
        "/playthroughs/-1",
        "/courses/tiny-course/assets/%2e%2e/%2e%2e/etc/passwd",
        "/review?page=-5",
    ):
        assert auth.client.get(path).status_code < 500, path

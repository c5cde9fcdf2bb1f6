"""Helpers for the security tests: separate browsers signed in through the real form."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DEFAULT_PASSWORD, csrf_from

QUIZ = "/courses/quiz-course/quizzes/q-all"
SCENARIO = "/courses/ex-course/scenarios/sc-door"
ASSIGNMENT = "/courses/ex-course/assignments/as-plan"


def signed_in_client(app: Flask, username: str, password: str = DEFAULT_PASSWORD) -> FlaskClient:
    """A separate browser signed in as `username` (its own cookie jar and server-side session)."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def page_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of a form on `path`, as a browser with that page open would send it."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"{path} has no form"
    return match.group(1)

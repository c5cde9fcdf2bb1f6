"""Administration fixtures: one user of every kind, and clients signed in as any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from lms.accounts.models import User
from tests.conftest import AuthActions


@dataclass
class People:
    admin: User
    national: User  # national coordinator
    regional: User  # coordinator of region 77
    instructor: User
    anna: User  # candidate, 77
    boris: User  # candidate, 69
    regional_69: User  # coordinator of region 69


@pytest.fixture
def people(make_user) -> People:
    return People(
        admin=make_user("root", role="admin", full_name="Главный Администратор"),
        national=make_user("olga", role="coordinator", full_name="Ольга Национальная"),
        regional=make_user("pavel", role="coordinator", region="77", full_name="Павел Московский"),
        instructor=make_user("igor", role="instructor", full_name="Игорь Преподаватель"),
        anna=make_user("anna", region="77", full_name="Анна Ёлкина", email="anna@example.org"),
        boris=make_user("boris", region="69", full_name="Борис Тверской", email="boris@example.org"),
        regional_69=make_user("tanya", role="coordinator", region="69", full_name="Татьяна Тверская"),
    )


@pytest.fixture
def signed_in(app) -> Callable[[str], tuple[FlaskClient, AuthActions]]:
    """A fresh client signed in as `username` (several people can be signed in at once)."""

    def sign_in(username: str, password: str | None = None) -> tuple[FlaskClient, AuthActions]:
        client = app.test_client()
        auth = AuthActions(client)
        response = auth.login(username, password) if password else auth.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client, auth

    return sign_in

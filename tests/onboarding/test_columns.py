"""Header rows in English or Russian, in any order, case and spacing."""

from __future__ import annotations

import pytest

from lms.onboarding.columns import field_for, map_columns
from lms.onboarding.problems import FileRefused, Problem


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("full_name", "full_name"),
        (" Full Name ", "full_name"),
        ("FULL-NAME", "full_name"),
        ("ФИО", "full_name"),
        ("Ф.И.О.", "full_name"),
        ("email", "email"),
        ("E-mail", "email"),
        ("Email", "email"),
        ("Эл. почта", "email"),
        ("эл.почта", "email"),
        ("Почта", "email"),
        ("Регион", "region"),
        ("REGION", "region"),
        ("Логин", "username"),
        ("username", "username"),
        ("Роль", "role"),
        ("role", "role"),
        ("Группа", "cohort"),
        ("cohort", "cohort"),
        ("Телефон", None),
        ("", None),
    ],
)
def test_headings(heading, field):
    assert field_for(heading) == field


def test_any_order_and_language_mixed():
    columns = map_columns(["Роль", " email ", "Телефон", "Full name", "", "Регион", "Группа", "Логин"])
    assert columns.index == {"role": 0, "email": 1, "full_name": 3, "region": 5, "cohort": 6, "username": 7}
    assert columns.unknown == ("Телефон",)
    assert columns.heading("email") == " email "
    assert columns.heading("nothing") == ""


def test_a_missing_required_column_refuses_the_file_naming_it():
    with pytest.raises(FileRefused) as caught:
        map_columns(["ФИО", "Телефон", "Роль"])
    assert caught.value.problem == Problem(
        "missing_columns", fields=("email", "region"), found=("ФИО", "Телефон", "Роль")
    )


def test_two_columns_for_one_field_refuse_the_file():
    with pytest.raises(FileRefused) as caught:
        map_columns(["ФИО", "Email", "Регион", "Почта"])
    assert caught.value.problem == Problem("duplicate_column", first="Email", second="Почта")

"""Usernames from full names: the passport transliteration, initials, numbering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.accounts import services
from lms.onboarding.names import USERNAME_RE, transliterate, unique_username, username_base


def test_the_rule_is_the_accounts_rule():
    assert USERNAME_RE.pattern == services.USERNAME_RE.pattern


def test_passport_transliteration_table():
    assert transliterate("абвгдеёжзийклмнопрстуфхцчшщъыьэюя") == (
        "abvgdeezhziiklmnoprstufkhtschshshchieyeiuia"
    )
    assert transliterate("ЖУКОВ Щёкин") == "zhukov shchekin"
    assert transliterate("Єва Ґалич Ўладзімір") == "ieva galich uladzimir"


@pytest.mark.parametrize(
    ("full_name", "username"),
    [
        ("Иванов Иван Петрович", "ivanov.ip"),
        ("Иванов И. П.", "ivanov.ip"),
        ("Иванов И.П.", "ivanov.ip"),
        ("  ИВАНОВ   иван  ", "ivanov.i"),
        ("Иванов", "ivanov"),
        ("Римский-Корсаков Николай Андреевич", "rimskii-korsakov.na"),
        ("Щукина Юлия Яковлевна", "shchukina.ii"),
        ("Ёлкин Эдуард", "elkin.e"),
        ("Müller Jürgen", "muller.j"),
        ("O'Brien Sean", "obrien.s"),
        ("Ким Чен Ир Сен Второй", "kim.cis"),
        ("Иванов-- Иван", "ivanov.i"),
    ],
)
def test_username_base(full_name, username):
    assert username_base(full_name) == username


def test_a_name_with_nothing_to_transliterate_falls_back_to_the_address_then_to_user():
    assert username_base("李小龍", "bruce.lee@example.com") == "bruce.lee"
    assert username_base("—", "Ёж@example.com") == "ezh"
    assert username_base("李小龍", None) == "user"
    assert username_base("Ю", "a@example.com") == "iu"
    assert username_base("Э", "") == "user"


def test_long_surnames_are_cut():
    assert username_base("Щ" * 100 + " Иван") == "shch" * 15 + ".i"


def test_numbering_takes_the_first_free_name():
    assert unique_username("ivanov.ip", set()) == "ivanov.ip"
    assert unique_username("ivanov.ip", {"ivanov.ip"}) == "ivanov.ip2"
    assert unique_username("ivanov.ip", {"ivanov.ip", "ivanov.ip2", "ivanov.ip4"}) == "ivanov.ip3"


@given(st.text(max_size=300), st.one_of(st.none(), st.emails(), st.text(max_size=50)))
def test_any_name_gives_a_valid_username(full_name, email):
    base = username_base(full_name, email)
    assert USERNAME_RE.match(base)
    assert username_base(full_name, email) == base  # deterministic
    numbered = unique_username(base, {base, *(f"{base}{n}" for n in range(2, 1000))})
    assert USERNAME_RE.match(numbered) and numbered == f"{base}1000"

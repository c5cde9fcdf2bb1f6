"""Regions and roles as people type them, against the school's real list of regions."""

from __future__ import annotations

import csv

import pytest

from lms.accounts.services import REGIONS_FILE
from lms.onboarding.values import RegionIndex, parse_role


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    with REGIONS_FILE.open(encoding="utf-8", newline="") as handle:
        return RegionIndex((row["code"], row["name_ru"], row["name_en"]) for row in csv.DictReader(handle))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("77", "77"),
        ("7", "07"),
        ("07", "07"),
        ("77.0", "77"),
        ("г. Москва", "77"),
        ("Москва", "77"),
        ("город Москва", "77"),
        ("МОСКВА", "77"),
        ("Moscow", "77"),
        ("moscow oblast", "50"),
        ("Moscow Region", "50"),
        ("Московская область", "50"),
        ("Московская обл.", "50"),
        ("Республика Татарстан", "16"),
        ("Татарстан", "16"),
        ("респ. Татарстан", "16"),
        ("Tatarstan", "16"),
        ("Кемеровская область — Кузбасс", "42"),
        ("Кемеровская область", "42"),
        ("Кузбасс", "42"),
        ("Якутия", "14"),
        ("Республика Саха", "14"),
        ("Северная Осетия", "15"),
        ("Чувашия", "21"),
        ("Орловская область", "57"),
        ("Ненецкий автономный округ", "83"),
        ("Ханты-Мансийский АО", "86"),
        ("ХМАО", "86"),
        ("СПб", "78"),
        ("Санкт-Петербург", "78"),
        ("ЕАО", "79"),
        ("Ёврейская автономная область", "79"),
        ("77 · г. Москва", "77"),
        ("77 - Москва", "77"),
        ("Кабардино-Балкарская Республика", "07"),
    ],
)
def test_regions_by_code_or_name(regions, text, code):
    assert regions.find(text) == code


@pytest.mark.parametrize(
    "text", ["", "99", "0", "1000", "Атлантида", "50 Москва", "Область", "республика", "7.5"]
)
def test_unknown_or_ambiguous_regions(regions, text):
    assert regions.find(text) is None


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("candidate", "candidate"),
        ("Кандидат", "candidate"),
        (" ПРЕПОДАВАТЕЛЬ ", "instructor"),
        ("Instructor", "instructor"),
        ("координатор", "coordinator"),
        ("admin", "admin"),
        ("Administrator", "admin"),
        ("администратор", "admin"),
        ("суперадмин", None),
        ("", None),
    ],
)
def test_roles(text, role):
    assert parse_role(text) == role

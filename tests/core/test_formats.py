"""One set of formatters: exactly what Babel writes in Russian and in English, in the reader's zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale, ngettext

from lms.accounts.throttle import Refusal
from lms.accounts.views import REFUSAL_MESSAGES
from lms.core import formats

NBSP = "\u00a0"
NNBSP = "\u202f"  # CLDR's narrow no-break space: «2026 г.», "3:42 PM"
THIN = "\u2009"


@pytest.fixture
def in_request(app):
    """A request from an anonymous reader: Moscow time, the language forced per test."""
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    ("lang", "value", "places", "expected"),
    [
        ("ru", 27.0, 2, "27"),
        ("en", 27.0, 2, "27"),
        ("ru", 1234.567, 2, f"1{NBSP}234,57"),
        ("en", 1234.567, 2, "1,234.57"),
        ("ru", 0.1, 2, "0,1"),
        ("en", 0.1, 2, "0.1"),
        ("ru", 12.34, 1, "12,3"),
        ("en", -2.5, 1, "-2.5"),
        ("ru", 12345, 0, f"12{NBSP}345"),
    ],
)
def test_number(in_request, lang, value, places, expected):
    with force_locale(lang):
        assert formats.number(value, places) == expected


@pytest.mark.parametrize(
    ("lang", "value", "places", "expected"),
    [
        ("ru", 3.4, 1, f"3,4{NBSP}%"),
        ("en", 3.4, 1, "3.4%"),
        ("ru", 45, 1, f"45{NBSP}%"),
        ("en", 100.0, 1, "100%"),
        ("ru", 33.333, 1, f"33,3{NBSP}%"),
        ("en", 66.7, 0, "67%"),
    ],
)
def test_percent_takes_a_value_already_in_percent(in_request, lang, value, places, expected):
    with force_locale(lang):
        assert formats.percent(value, places) == expected


@pytest.mark.parametrize(("lang", "expected"), [("ru", f"6 дек. 2026{NNBSP}г."), ("en", "Dec 6, 2026")])
def test_date_has_one_medium_style(in_request, lang, expected):
    with force_locale(lang):
        assert formats.date(date(2026, 12, 6)) == expected


def test_date_of_a_datetime_is_the_local_day(in_request):
    # 22:30 UTC on 5 December is already 6 December in Moscow (UTC+3); naive values are UTC.
    with force_locale("ru"):
        assert formats.date(datetime(2026, 12, 5, 22, 30)) == f"6 дек. 2026{NNBSP}г."
        assert formats.date(datetime(2026, 12, 5, 22, 30, tzinfo=UTC)) == f"6 дек. 2026{NNBSP}г."


@pytest.mark.parametrize(
    ("lang", "expected", "with_seconds"),
    [
        ("ru", f"6 дек. 2026{NNBSP}г., 15:42", f"6 дек. 2026{NNBSP}г., 15:42:07"),
        ("en", f"Dec 6, 2026, 3:42{NNBSP}PM", f"Dec 6, 2026, 3:42:07{NNBSP}PM"),
    ],
)
def test_datetime_is_the_medium_date_with_a_short_time_in_moscow(in_request, lang, expected, with_seconds):
    moment = datetime(2026, 12, 6, 12, 42, 7, tzinfo=UTC)
    with force_locale(lang):
        assert formats.datetime(moment) == expected
        assert formats.datetime(moment, seconds=True) == with_seconds


@pytest.mark.parametrize(("lang", "expected"), [("ru", "15:42"), ("en", f"3:42{NNBSP}PM")])
def test_time(in_request, lang, expected):
    with force_locale(lang):
        assert formats.time(datetime(2026, 12, 6, 12, 42, tzinfo=UTC)) == expected


@pytest.mark.parametrize(("lang", "expected"), [("ru", "01.09"), ("en", "9/1")])
def test_day_month(in_request, lang, expected):
    with force_locale(lang):
        assert formats.day_month(date(2026, 9, 1)) == expected


@pytest.mark.parametrize(
    ("lang", "expected", "open_start"),
    [
        ("ru", f"30 нояб. — 6 дек. 2026{NNBSP}г.", f"… – 6 дек. 2026{NNBSP}г."),
        ("en", f"Nov 30{THIN}–{THIN}Dec 6, 2026", "… – Dec 6, 2026"),
    ],
)
def test_date_range(in_request, lang, expected, open_start):
    with force_locale(lang):
        assert formats.date_range(date(2026, 11, 30), date(2026, 12, 6)) == expected
        assert formats.date_range(None, date(2026, 12, 6)) == open_start
        assert formats.date_range(None, None) == "… – …"


def test_date_range_the_wrong_way_round_shows_both_ends_as_given(in_request):
    with force_locale("en"):
        assert formats.date_range(date(2026, 12, 6), date(2026, 11, 30)) == "Dec 6, 2026 – Nov 30, 2026"


@pytest.mark.parametrize(
    ("lang", "minutes", "expected"),
    [
        ("ru", 1, "1 минута"),
        ("ru", 3, "3 минуты"),
        ("ru", 5, "5 минут"),
        ("en", 1, "1 minute"),
        ("en", 5, "5 minutes"),
    ],
)
def test_duration(in_request, lang, minutes, expected):
    with force_locale(lang):
        assert formats.duration(timedelta(minutes=minutes)) == expected


@pytest.mark.parametrize(
    ("lang", "ago", "soon"), [("ru", "3 дня назад", "через 2 часа"), ("en", "3 days ago", "in 2 hours")]
)
def test_relative(in_request, lang, ago, soon):
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    with force_locale(lang):
        assert formats.relative(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), now) == ago
        assert formats.relative(datetime(2026, 12, 6, 14, 0), now) == soon  # naive is UTC


def test_filters_and_the_range_global_are_registered(in_request):
    source = (
        "{{ 3.4|percent }} · {{ 1234.5|number(1) }} · {{ day|date }} · {{ moment|datetime }} · "
        "{{ moment|time }} · {{ date_range(day, day2) }}"
    )
    values = {
        "day": date(2026, 11, 30),
        "day2": date(2026, 12, 6),
        "moment": datetime(2026, 12, 6, 12, 42, tzinfo=UTC),
    }
    with force_locale("ru"):
        assert render_template_string(source, **values) == (
            f"3,4{NBSP}% · 1{NBSP}234,5 · 30 нояб. 2026{NNBSP}г. · 6 дек. 2026{NNBSP}г., 15:42 · 15:42 · "
            f"30 нояб. — 6 дек. 2026{NNBSP}г."
        )


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 строка."), (2, "2 строки."), (5, "5 строк."), (11, "11 строк."), (21, "21 строка.")],
)
def test_russian_plurals_have_three_forms(in_request, count, expected):
    with force_locale("ru"):
        assert ngettext("%(num)s row.", "%(num)s rows.", count) == expected
        assert (
            render_template_string('{{ ngettext("%(num)s row.", "%(num)s rows.", n) }}', n=count) == expected
        )


@pytest.mark.parametrize(("count", "expected"), [(1, "1 row."), (2, "2 rows.")])
def test_english_plurals_have_two_forms(in_request, count, expected):
    with force_locale("en"):
        assert (
            render_template_string('{{ ngettext("%(num)s row.", "%(num)s rows.", n) }}', n=count) == expected
        )


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "Подождите 1 минуту"), (2, "Подождите 2 минуты"), (5, "Подождите 5 минут")],
)
def test_russian_plurals_in_python_code(in_request, count, expected):
    with force_locale("ru"):
        assert expected + " и попробуйте ещё раз." in REFUSAL_MESSAGES[Refusal.DEVICE](count)


TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
# Flask-Babel's own filters take a style per call (pages drifted into three date styles), `round`
# prints a decimal point in every language, and a bare `%` after a value (or `%(x)s%%` in a message)
# skips the locale's spacing.
AD_HOC_FORMATTING = re.compile(r"\|\s*(datetimeformat|dateformat|timeformat|round)\b|\}\}\s*%|%\(\w+\)s%%")


def test_templates_format_numbers_and_dates_only_through_lms_core_formats():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:80]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if AD_HOC_FORMATTING.search(line)
    ]
    assert found == []

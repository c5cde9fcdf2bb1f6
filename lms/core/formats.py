"""Numbers, percentages, dates and times as the reader expects them: one style for the whole UI.

Everything goes through Babel in the request's language and the reader's time zone (see
lms.core.i18n), so a Russian page says «3,4 %» and «6 дек. 2026 г.», an English one "3.4%" and
"Dec 6, 2026". Templates use the filters registered by `init_app`; machine-readable values
(`<time datetime>`, input values, CSV files) stay ISO and never come through here.
"""

from __future__ import annotations

from copy import copy
from datetime import UTC, timedelta
from datetime import date as Date
from datetime import datetime as DateTime
from decimal import Decimal
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    format_timedelta,
    get_datetime_format,
    get_timezone_gmt,
)
from babel.numbers import NumberPattern, format_decimal, format_percent
from flask import Flask
from flask_babel import get_locale, to_user_timezone

from lms.core.time import utcnow

# One date style everywhere: «6 дек. 2026 г.» / "Dec 6, 2026". Times without seconds.
DATE_STYLE: Final = "medium"
TIME_STYLE: Final = "short"
# A date range "30 нояб. – 6 дек. 2026 г.": CLDR picks how much of the two ends to repeat.
RANGE_SKELETON = "yMMMd"
MISSING_END = "…"
DAY_MONTH_SKELETON = "dM"
FALLBACK_LOCALE = "ru"


def _locale() -> Locale:
    # Outside an application context Flask-Babel has no locale; the school's language then.
    return get_locale() or Locale.parse(FALLBACK_LOCALE)


def _pattern(base: NumberPattern, places: int) -> NumberPattern:
    """The locale's own number pattern with up to `places` decimals (trailing zeros dropped)."""
    pattern = copy(base)
    pattern.frac_prec = (0, places)
    return pattern


def number(value: float | int | Decimal, places: int = 2) -> str:
    """A quantity with grouped thousands and at most `places` decimals: «1 234,5» / "1,234.5"."""
    return _formatted("number", value, places, _locale())


def percent(value: float | int | Decimal, places: int = 1) -> str:
    """A value already in percent (45.5 means 45.5 %): «45,5 %» / "45.5%"."""
    return _formatted("percent", value, places, _locale())


@lru_cache(maxsize=4096)
def _formatted(style: str, value: float | int | Decimal, places: int, locale: Locale) -> str:
    """Babel's formatting, kept per value: progress bars and dashboards repeat the same few
    hundred figures on every page, and each format costs tens of microseconds."""
    if style == "percent":
        return format_percent(value / 100, _pattern(locale.percent_formats[None], places), locale=locale)
    return format_decimal(value, _pattern(locale.decimal_formats[None], places), locale=locale)


def _aware(value: DateTime) -> DateTime:
    """Naive datetimes are the UTC the database stored."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _moment(value: DateTime, zone: str | None = None) -> DateTime:
    """The moment on the reader's clock, or on the clock of `zone` (an IANA name) when given."""
    if zone:
        return _aware(value).astimezone(ZoneInfo(zone))
    return to_user_timezone(_aware(value))


def _day(value: Date) -> Date:
    """A date as it is; a datetime as the reader's local day."""
    return _moment(value).date() if isinstance(value, DateTime) else value


def date(value: Date) -> str:
    """A day in the one UI style: «6 дек. 2026 г.» / "Dec 6, 2026" (a datetime: its local day)."""
    return _date(_day(value), _locale())


@lru_cache(maxsize=4096)
def _date(day: Date, locale: Locale) -> str:
    """Babel's formatting, kept per day: due dates repeat on every candidate's home page."""
    return format_date(day, DATE_STYLE, locale=locale)


def time(value: DateTime, zone: str | None = None) -> str:
    """Hours and minutes in the reader's zone (or `zone`'s): «15:42» / "3:42 PM"."""
    return format_time(_moment(value, zone), TIME_STYLE, locale=_locale())


def utc_offset(zone: str, at: DateTime) -> str:
    """A zone's offset at a moment, as people read it: «GMT+03:00» (names vary; offsets do not)."""
    return get_timezone_gmt(_moment(at, zone), locale=_locale())


def datetime(value: DateTime, seconds: bool = False) -> str:
    """Date and time together: «6 дек. 2026 г., 15:42» / "Dec 6, 2026, 3:42 PM".

    `seconds` only where they matter (the audit log); the date part is the same everywhere.
    """
    locale = _locale()
    local = _moment(value)
    return (
        str(get_datetime_format(DATE_STYLE, locale=locale))
        .replace("'", "")
        .replace("{0}", format_time(local, "medium" if seconds else TIME_STYLE, locale=locale))
        .replace("{1}", format_date(local, DATE_STYLE, locale=locale))
    )


def day_month(value: Date) -> str:
    """A short day and month for tight places such as chart axes: «01.09» / "9/1"."""
    return format_skeleton(DAY_MONTH_SKELETON, _day(value), locale=_locale())


def date_range(start: Date | None, end: Date | None) -> str:
    """Two days as one range, «30 нояб. – 6 дек. 2026 г.»; a missing end shows as "…"."""
    if start is not None and end is not None:
        first, last = _day(start), _day(end)
        if first <= last:
            return format_interval(first, last, RANGE_SKELETON, locale=_locale())
    left = date(start) if start is not None else MISSING_END
    right = date(end) if end is not None else MISSING_END
    return f"{left} – {right}"


def duration(value: timedelta | int) -> str:
    """A length of time in words, rounded to its largest unit: «5 минут» / "5 minutes"."""
    return format_timedelta(value, locale=_locale())


def relative(value: DateTime, now: DateTime | None = None) -> str:
    """How long ago or how soon, from `now`: «3 дня назад» / "in 2 hours"."""
    delta = _aware(value) - _aware(now or utcnow())
    return format_timedelta(delta, add_direction=True, locale=_locale())


FILTERS = {
    "number": number,
    "percent": percent,
    "date": date,
    "time": time,
    "datetime": datetime,
    "day_month": day_month,
    "duration": duration,
    "relative": relative,
    "utc_offset": utc_offset,
}


def init_app(app: Flask) -> None:
    """Register the helpers as Jinja filters (`x|percent`) and `date_range` as a global."""
    app.jinja_env.filters.update(FILTERS)
    app.add_template_global(date_range, "date_range")

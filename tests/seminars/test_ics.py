"""The calendar file as RFC 5545 asks: escaped text, CRLF, lines folded at 75 octets, stable UIDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from lms.seminars.ics import Event, calendar, escape, fold

START = datetime(2027, 4, 13, 7, 0, tzinfo=UTC)
STAMP = datetime(2027, 1, 10, 12, 30, tzinfo=UTC)


def unfold(body: bytes) -> list[str]:
    """Content lines as a reader rebuilds them (RFC 5545 3.1: CRLF + one space is removed)."""
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def event(**changes) -> Event:
    values = {
        "uid": "vybory-2027.otkrytie@lms.example",
        "starts_at": START,
        "ends_at": START + timedelta(minutes=45),
        "summary": "Открытие",
    }
    return Event(**{**values, **changes})


def test_text_escaping_of_backslash_semicolon_comma_and_newlines():
    assert escape("a\\b; c, d\ne\r\nf") == "a\\\\b\\; c\\, d\\ne\\nf"


def test_every_line_ends_with_crlf_and_nothing_else():
    body = calendar("Семинар", [event()], stamp=STAMP, product="-//Test//RU")

    assert body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character():
    summary = "Работа с избирателями: встречи, обход, общественная приёмная и ещё немного текста"
    body = calendar("Семинар", [event(summary=summary)], stamp=STAMP, product="-//Test//RU")

    physical = body.split(b"\r\n")
    assert max(len(line) for line in physical) == 75
    assert all(len(line) <= 75 for line in physical)
    for line in physical:
        line.decode("utf-8")  # a cut inside a two-octet letter would not decode
    assert f"SUMMARY:{escape(summary)}" in unfold(body)


def test_folding_keeps_short_lines_and_marks_continuations_with_one_space():
    assert fold("SUMMARY:short") == "SUMMARY:short"
    folded = fold("X:" + "a" * 200)
    pieces = folded.split("\r\n")
    assert [len(p) for p in pieces] == [75, 75, 54]  # 202 = 75 + 74 + 53 characters
    assert all(p.startswith(" ") for p in pieces[1:])


def test_events_are_in_utc_with_their_uid_and_fields():
    moscow = timezone(timedelta(hours=3))
    body = calendar(
        "Выборы-2027",
        [
            event(
                starts_at=datetime(2027, 4, 13, 10, 0, tzinfo=moscow),
                ends_at=datetime(2027, 4, 13, 10, 45, tzinfo=moscow),
                location="Большой зал, Москва",
                description="Ирина Соколова — ректор\nЦели; правила",
                url="https://lms.example/seminars/vybory-2027#session-otkrytie",
            )
        ],
        stamp=STAMP,
        product="-//Test//RU",
    )

    lines = unfold(body)
    assert lines[:6] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test//RU",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Выборы-2027",
    ]
    assert lines[6:16] == [
        "BEGIN:VEVENT",
        "UID:vybory-2027.otkrytie@lms.example",
        "DTSTAMP:20270110T123000Z",
        "DTSTART:20270413T070000Z",
        "DTEND:20270413T074500Z",
        "SUMMARY:Открытие",
        "LOCATION:Большой зал\\, Москва",
        "DESCRIPTION:Ирина Соколова — ректор\\nЦели\\; правила",
        "URL:https://lms.example/seminars/vybory-2027#session-otkrytie",
        "END:VEVENT",
    ]


def test_the_same_programme_gives_the_same_file():
    first = calendar(
        "С", [event(), event(uid="vybory-2027.itogi@lms.example")], stamp=STAMP, product="-//T//RU"
    )
    second = calendar(
        "С", [event(), event(uid="vybory-2027.itogi@lms.example")], stamp=STAMP, product="-//T//RU"
    )

    assert first == second
    assert first.count(b"BEGIN:VEVENT") == 2

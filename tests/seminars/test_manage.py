"""Changing a seminar in the browser: sessions follow the dates and the venue's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from lms.core.errors import ValidationError
from lms.extensions import db
from lms.seminars import manage


def change(seminar, **values):
    current = {
        "title": seminar.title,
        "starts_on": seminar.starts_on,
        "ends_on": seminar.ends_on,
        "venue": seminar.venue,
        "online_url": seminar.online_url,
        "timezone": seminar.timezone,
        "summary_md": seminar.summary_md,
    }
    return manage.update_seminar(seminar, **{**current, **values})


def test_moving_the_dates_moves_every_session_keeping_its_day_and_time(make_seminar):
    seminar = make_seminar(sessions=2)

    changed = change(seminar, starts_on=date(2027, 4, 12), ends_on=date(2027, 4, 14))
    db.session.commit()

    assert changed == ["starts_on", "ends_on"]
    assert [s.starts_at for s in seminar.sessions] == [
        datetime(2027, 4, 12, 7, 0, tzinfo=UTC),
        datetime(2027, 4, 12, 8, 0, tzinfo=UTC),
    ]


def test_a_new_time_zone_keeps_the_venue_clock(make_seminar):
    seminar = make_seminar()

    change(seminar, timezone="Asia/Novosibirsk")

    # 10:00 stays 10:00, now in Novosibirsk (UTC+7): 03:00 UTC.
    assert seminar.sessions[0].starts_at == datetime(2027, 3, 15, 3, 0, tzinfo=UTC)


def test_shortening_below_a_sessions_day_is_refused(make_seminar):
    seminar = make_seminar()
    manage.save_session(
        seminar, manage.SessionValues(key="last", title="Итоги", day=3, starts=time(9), ends=time(10))
    )

    with pytest.raises(ValidationError) as refused:
        change(seminar, ends_on=date(2027, 3, 16))

    assert (refused.value.code, refused.value.field) == ("sessions_beyond", "ends_on")


def test_nothing_changed_records_nothing(make_seminar):
    seminar = make_seminar()

    assert change(seminar) == []


def test_a_session_moved_to_another_day_goes_to_its_end(make_seminar):
    seminar = make_seminar(sessions=2)
    third = manage.save_session(
        seminar, manage.SessionValues(key="s3", title="Третья", day=2, starts=time(9), ends=time(10))
    )
    first = seminar.sessions[0]

    manage.save_session(
        seminar, manage.SessionValues(key="s1", title="Первая", day=2, starts=time(11), ends=time(12)), first
    )

    assert (third.position, first.day, first.position) == (1, 2, 2)


def test_moving_up_at_the_top_changes_nothing(make_seminar):
    seminar = make_seminar(sessions=2)

    assert manage.move_session(seminar, seminar.sessions[0], "up") is False
    assert manage.move_session(seminar, seminar.sessions[1], "sideways") is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ирина Соколова — ректор\nПавел Орлов", (("Ирина Соколова", "ректор"), ("Павел Орлов", ""))),
        ("Анна - юрист\n\n  Борис, эксперт  ", (("Анна", "юрист"), ("Борис", "эксперт"))),
    ],
)
def test_speakers_one_a_line(text, expected):
    assert manage.parse_speakers(text) == expected


def test_topics_without_repeats_or_blanks():
    assert manage.parse_topics("риски, , финансы, риски") == ("риски", "финансы")

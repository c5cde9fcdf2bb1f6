"""The programme file: read into plain data, every mistake reported as `path:line:col: CODE`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lms.content.loader import load_tree
from lms.seminars.catalogue import TreeCatalogue, check_folder
from lms.seminars.programme import read_programme

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "seminars" / "good" / "tiny-seminar.md"
COURSES = FIXTURES / "courses" / "good"


def catalogue() -> TreeCatalogue:
    return TreeCatalogue.of(load_tree(COURSES).courses)


def lines(problems) -> list[str]:
    return [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in problems]


@pytest.fixture
def write(tmp_path):
    """write(replace=(old, new)) -> the good programme with one change, in a folder of its own."""
    folder = tmp_path / "seminars"
    folder.mkdir()

    def make(*replacements: tuple[str, str], name: str = "tiny-seminar.md") -> Path:
        text = GOOD.read_text("utf-8")
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new, 1)
        (folder / name).write_text(text, "utf-8")
        return folder

    return make


def test_the_good_programme_reads_into_days_and_sessions():
    programme, problems = read_programme(GOOD, "tiny-seminar.md", "seminars/tiny-seminar.md")

    assert problems == []
    assert programme is not None
    assert [(s.key, s.day, s.position) for s in programme.sessions] == [
        ("open", 1, 1),
        ("practice", 1, 2),
        ("final", 2, 1),
    ]
    opening = programme.sessions[0]
    # 10:00 Moscow (UTC+3) is 07:00 UTC; the second day's date follows from starts_on.
    assert (opening.starts_at, opening.ends_at) == (
        datetime(2027, 3, 15, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 8, 30, tzinfo=UTC),
    )
    assert programme.sessions[2].starts_at == datetime(2027, 3, 16, 6, 30, tzinfo=UTC)
    assert opening.speakers == [{"name": "Ирина Соколова", "role": "ректор"}]
    assert opening.topics == ["организация", "анализ"]
    assert [
        (link.relation, link.course, link.module, link.item, link.due_days) for link in opening.links
    ] == [("prepare", "tiny-course", "m-one", None, -3)]
    assert programme.regions[0][0] == "77"
    assert "<strong>тестов</strong>" in programme.summary_html


def test_descriptions_go_through_the_sanitising_pipeline():
    programme, _problems = read_programme(GOOD, "tiny-seminar.md", "x")

    assert programme is not None
    html = programme.sessions[0].description_html
    assert "<strong>семинара</strong>" in html
    assert "<script" not in html


def test_each_session_s_description_has_ids_of_its_own(write):
    """The programme page shows every description: the same heading twice must be two ids."""
    folder = write(
        ("Цели **семинара**.<script>alert(1)</script>", "### Материалы\n          Слайды."),
        ("title: Практикум\n", "title: Практикум\n        description: |\n          ### Материалы\n"),
    )
    programme, problems = read_programme(folder / "tiny-seminar.md", "tiny-seminar.md", "x")

    assert problems == [] and programme is not None
    first, second = (session.description_html for session in programme.sessions[:2])
    assert '<h3 id="content-session-open-материалы">' in first
    assert '<h3 id="content-session-practice-материалы">' in second


def test_time_zone_moves_the_utc_times(write):
    folder = write(("timezone: Europe/Moscow", "timezone: Asia/Vladivostok"))
    programme, problems = read_programme(folder / "tiny-seminar.md", "tiny-seminar.md", "x")

    assert problems == [] and programme is not None
    # 10:00 in Vladivostok (UTC+10) is midnight UTC.
    assert programme.sessions[0].starts_at == datetime(2027, 3, 15, 0, 0, tzinfo=UTC)


def test_check_accepts_the_good_programme():
    assert check_folder(GOOD.parent, catalogue(), display_prefix="seminars") == []


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        (('time: "10:00-11:30"', 'time: "10 утра"'), "seminars/tiny-seminar.md:14:15: E910"),
        (('time: "12:00-13:00"', 'time: "13:00-12:00"'), "seminars/tiny-seminar.md:28:15: E911"),
        (("timezone: Europe/Moscow", "timezone: Europe/Mosсow"), "seminars/tiny-seminar.md:7:11: E902"),
        (("ends_on: 2027-03-16", "ends_on: 2027-03-14"), "seminars/tiny-seminar.md:5:10: E903"),
        (("key: tiny-seminar", "key: other"), "seminars/tiny-seminar.md:2:6: E904"),
        (('regions: ["77"]', 'regions: ["Москва"]'), "seminars/tiny-seminar.md:9:13: E905"),
        (("- date: 2027-03-15", "- date: 2027-03-16"), "seminars/tiny-seminar.md:11:11: E908"),
        (("key: practice", "key: open"), "seminars/tiny-seminar.md:27:9: E909"),
        (("due: -3", "due: 3"), "seminars/tiny-seminar.md:26:18: E913"),
        (("due: 7", "due: -7"), "seminars/tiny-seminar.md:33:18: E913"),
        (("due: 7", "due: скоро"), "seminars/tiny-seminar.md:33:18: E912"),
        (("room: Зал 1", "rom: Зал 1"), "seminars/tiny-seminar.md:16:9: E106"),
        (
            ("venue: Москва, зал 1", "venue: Москва\nonline_url: ftp://example.org"),
            "seminars/tiny-seminar.md:7:13: E901",
        ),
        (
            ("- name: Ирина Соколова\n            role: ректор", "- role: ректор"),
            "seminars/tiny-seminar.md:18:13: E105",
        ),
        (("module: m-one", "module: m-nine"), "seminars/tiny-seminar.md:25:21: E921"),
        (
            ("course: tiny-course\n            item: l-three", "course: no-such\n            item: l-three"),
            "seminars/tiny-seminar.md:31:21: E920",
        ),
        (("item: l-three", "item: l-nine"), "seminars/tiny-seminar.md:32:19: E922"),
    ],
)
def test_each_mistake_is_reported_where_it_is(write, replacement, expected):
    folder = write(replacement)

    problems = check_folder(folder, catalogue(), display_prefix="seminars")

    assert expected in lines(problems), lines(problems)


def test_a_survey_link_must_name_a_survey(write):
    folder = write(
        (
            "follow_up:\n          - course: tiny-course\n            item: l-three",
            "survey:\n          - course: tiny-course\n            item: l-three",
        )
    )

    assert lines(check_folder(folder, catalogue(), display_prefix="s")) == ["s/tiny-seminar.md:32:19: E924"]


def test_more_days_than_the_dates_span_is_an_error(write):
    folder = write(("ends_on: 2027-03-16", "ends_on: 2027-03-15"))

    assert lines(check_folder(folder, catalogue(), display_prefix="s")) == ["s/tiny-seminar.md:34:5: E907"]


def test_every_problem_of_a_file_at_once(write):
    folder = write(
        ('time: "10:00-11:30"', "time: nonsense"),
        ("due: -3", "due: 3"),
        ('time: "12:00-13:00"', 'time: "13:00-12:00"'),
        ("item: l-three", "item: l-nine"),
    )

    found = lines(check_folder(folder, catalogue(), display_prefix="s"))

    # Whether linked items exist is checked once the file itself reads (l-nine waits for that).
    assert found == [
        "s/tiny-seminar.md:14:15: E910",
        "s/tiny-seminar.md:26:18: E913",
        "s/tiny-seminar.md:28:15: E911",
    ]


def test_readme_and_other_files_are_not_programmes(tmp_path):
    shutil.copy(GOOD, tmp_path / "tiny-seminar.md")
    (tmp_path / "README.md").write_text("# Семинары\n", "utf-8")
    (tmp_path / "notes.txt").write_text("x", "utf-8")

    assert check_folder(tmp_path, catalogue(), display_prefix="s") == []


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        (("days:\n", "days: 5\nzz:\n"), ["s/tiny-seminar.md:10:7: E108", "s/tiny-seminar.md:11:1: E106"]),
        (("days:\n", "days: []\nzz:\n"), ["s/tiny-seminar.md:10:7: E906", "s/tiny-seminar.md:11:1: E106"]),
        (('invite:\n  regions: ["77"]', "invite: [77]"), ["s/tiny-seminar.md:8:9: E108"]),
        (("topics: [организация, анализ]", "topics: организация"), ["s/tiny-seminar.md:20:17: E108"]),
        (
            ("        title: Открытие\n", "        title: Открытие\n        title: Ещё\n"),
            ["s/tiny-seminar.md:16:9: E107"],
        ),
    ],
)
def test_wrong_shapes_are_problems_not_crashes(write, replacement, expected):
    folder = write(replacement)

    assert lines(check_folder(folder, catalogue(), display_prefix="s")) == expected


def test_a_programme_symlinked_from_outside_the_folder_is_not_read(tmp_path):
    folder = tmp_path / "seminars"
    folder.mkdir()
    (folder / "tiny-seminar.md").symlink_to(GOOD)

    assert [str(p) for p in check_folder(folder, catalogue(), display_prefix="s")] == [
        "s/tiny-seminar.md:1:1: E215 a symlink leading outside the folder being imported: not read"
        " (copy the file in)"
    ]


def test_texts_fit_the_seminar_columns(write):
    # A title, venue, room or address longer than its column made PostgreSQL stop the import with a
    # traceback (SQLite kept it whole).
    url = "https://example.org/" + "x" * 481
    folder = write(
        ("title: Крошечный семинар", "title: " + "С" * 301),
        ("venue: Москва, зал 1", f"venue: {'М' * 301}\nonline_url: {url}"),
        ("title: Открытие", "title: " + "О" * 301),
        ("room: Зал 1", "room: " + "З" * 201),
    )
    assert [str(p) for p in check_folder(folder, catalogue(), display_prefix="s")] == [
        "s/tiny-seminar.md:3:8: E108 'title' is too long: at most 300 characters (this one has 301)",
        "s/tiny-seminar.md:6:8: E108 'venue' is too long: at most 300 characters (this one has 301)",
        "s/tiny-seminar.md:7:13: E108 'online_url' is too long: at most 500 characters (this one has 501)",
        "s/tiny-seminar.md:16:16: E108 'title' is too long: at most 300 characters (this one has 301)",
        "s/tiny-seminar.md:17:15: E108 'room' is too long: at most 200 characters (this one has 201)",
    ]
    folder = write(
        ("title: Крошечный семинар", "title: " + "С" * 300),
        ("venue: Москва, зал 1", f"venue: {'М' * 300}\nonline_url: {url[:-1]}"),
        ("title: Открытие", "title: " + "О" * 300),
        ("room: Зал 1", "room: " + "З" * 200),
    )
    assert check_folder(folder, catalogue(), display_prefix="s") == []

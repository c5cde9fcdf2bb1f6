"""The school's sample seminar (seminars/vybory-2027.md) against the school's own courses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lms.content.loader import load_tree
from lms.seminars.catalogue import TreeCatalogue, check_links
from lms.seminars.programme import read_programme
from lms.seminars.programme_schema import ProgrammeSource

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "seminars" / "vybory-2027.md"


@pytest.fixture(scope="module")
def sample() -> ProgrammeSource:
    programme, problems = read_programme(SAMPLE, SAMPLE.name, "seminars/vybory-2027.md")
    assert problems == []
    assert programme is not None
    return programme


@pytest.fixture(scope="module")
def catalogue() -> TreeCatalogue:
    return TreeCatalogue.of(load_tree(ROOT / "courses").courses)


def test_three_days_with_the_themes_of_the_issue(sample):
    assert (sample.starts_on.isoformat(), sample.ends_on.isoformat()) == ("2027-04-13", "2027-04-15")
    assert sorted({session.day for session in sample.sessions}) == [1, 2, 3]
    titles = " ".join(session.title for session in sample.sessions).lower()
    for theme in (
        "ошибки",
        "угроз",
        "цифровые сервисы",
        "избирател",
        "актив",
        "финансирование",
        "коммуникац",
        "проект",
    ):
        assert theme in titles, theme
    relations = {link.relation for session in sample.sessions for link in session.links}
    assert relations == {"prepare", "follow_up", "survey"}


def test_preparation_links_to_the_sample_course_resolve(sample, catalogue):
    own = [link for session in sample.sessions for link in session.links if link.course == "osnovy-kampanii"]
    sessions = [dataclasses.replace(sample.sessions[0], links=own)]

    assert len(own) >= 6
    assert check_links(dataclasses.replace(sample, sessions=sessions), catalogue, "sample") == []


def test_the_survey_and_project_links_resolve_once_their_course_is_there(sample, catalogue):
    if catalogue.course("seminar-2027") is None:
        pytest.skip(
            "courses/seminar-2027 (surveys, team project) comes from the surveys and team-project work"
        )

    assert check_links(sample, catalogue, "sample") == []

"""Answering a survey: checked answers, once per person, and nothing that ties an anonymous
response to the person who gave it; the results and the export rows."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.surveys import reports, services
from lms.surveys.format import TEXT_MAX
from lms.surveys.models import SurveyParticipation, SurveyResponse
from tests.surveys.conftest import ANONYMOUS_FORM, NAMED_FORM


def answer(user, survey: Lesson, form: dict[str, list[str]]) -> bool:
    done = services.submit_response(user, survey, services.read_answers(survey, form))
    db.session.commit()
    return done


def test_answers_are_read_as_typed_values(named):
    answers = services.read_answers(named, NAMED_FORM)
    assert answers == {
        "obshchee": 4,
        "format": "praktika",
        "temy": ["finansy", "cifra"],
        "kommentariy": "Больше практики, пожалуйста.",
    }


def test_optional_questions_may_be_left_out_but_required_ones_may_not(named):
    assert services.read_answers(named, {"q-obshchee": ["3"], "q-format": ["lekcii"]}) == {
        "obshchee": 3,
        "format": "lekcii",
    }
    with pytest.raises(services.AnswersInvalid) as caught:
        services.read_answers(named, {"q-temy": ["cifra"], "q-kommentariy": ["  "]})
    assert set(caught.value.errors) == {"obshchee", "format"}
    assert caught.value.answers == {"temy": ["cifra"]}  # the form comes back as it was filled


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("q-obshchee", ["6"]),  # not a point of the 5-point scale
        ("q-obshchee", ["2", "3"]),  # two points of one scale
        ("q-format", ["drugoe"]),  # not an option
        ("q-temy", ["finansy", "vzlom"]),
        ("q-kommentariy", ["я" * (TEXT_MAX + 1)]),
    ],
)
def test_a_forged_or_oversized_answer_is_refused(named, field, values):
    with pytest.raises(services.AnswersInvalid) as caught:
        services.read_answers(named, {**NAMED_FORM, field: values})
    assert list(caught.value.errors) == [field.removeprefix("q-")]


def test_a_person_answers_once_and_the_item_counts_as_done(named, make_user):
    anna = make_user("anna", region="77")
    assert not services.has_answered(anna, named)
    assert answer(anna, named, NAMED_FORM) is True
    assert answer(anna, named, {**NAMED_FORM, "q-obshchee": ["1"]}) is False  # a second tab
    assert services.has_answered(anna, named)
    responses = db.session.scalars(sa.select(SurveyResponse)).all()
    assert [(r.user_id, r.region_code, r.answers["obshchee"]) for r in responses] == [(anna.id, "77", 4)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyParticipation)) == 1
    done = db.session.scalar(
        sa.select(LessonProgress.completed_at).where(
            LessonProgress.user_id == anna.id, LessonProgress.lesson_id == named.id
        )
    )
    assert done is not None


def test_an_anonymous_response_keeps_nothing_that_points_at_its_author(anonymous, make_user):
    people = [make_user(f"u{n}", region="77", full_name=f"Участник {n}") for n in range(3)]
    for person in people:
        assert answer(person, anonymous, ANONYMOUS_FORM)
    responses = SurveyResponse.__table__
    participations = SurveyParticipation.__table__
    # The tables themselves: participations are the pair alone; responses have no time of day
    # and nothing that could reference a participation or a person.
    assert {c.name for c in participations.columns} == {"survey_id", "user_id"}
    assert {c.name for c in responses.columns} == {
        "id",
        "survey_id",
        "user_id",
        "region_code",
        "answered_on",
        "answers",
    }
    assert not any(isinstance(c.type, sa.DateTime) for c in responses.columns)
    rows = db.session.execute(sa.select(responses)).mappings().all()
    assert len(rows) == 3
    for row in rows:
        assert row["user_id"] is None
        assert uuid.UUID(row["id"]).version == 4  # random, so the key says nothing of the order
        written = repr(dict(row))
        assert not any(f"u{n}" in written or f"Участник {n}" in written for n in range(3))
    # Only that they answered is known, so nobody answers twice.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(participations)) == 3
    assert answer(people[0], anonymous, ANONYMOUS_FORM) is False


def test_results_count_each_answer_per_region(named, make_user):
    forms = [
        ("77", {"q-obshchee": ["5"], "q-format": ["praktika"], "q-temy": ["finansy", "cifra"]}),
        ("77", {"q-obshchee": ["4"], "q-format": ["praktika"], "q-temy": ["cifra"]}),
        ("69", {"q-obshchee": ["2"], "q-format": ["lekcii"], "q-kommentariy": ["Меньше лекций"]}),
    ]
    for n, (region, form) in enumerate(forms):
        answer(make_user(f"u{n}", region=region, full_name=f"Участник {n}"), named, form)

    everyone = reports.survey_results(named, None)
    assert (everyone.responses, everyone.withheld) == (3, False)
    scale, choice, several, text = everyone.questions
    assert [(o.key, o.count) for o in scale.options] == [("1", 0), ("2", 1), ("3", 0), ("4", 1), ("5", 1)]
    assert scale.mean == pytest.approx(11 / 3, abs=0.01)
    assert [(o.key, o.count, o.percent) for o in choice.options] == [
        ("lekcii", 1, 33.3),
        ("praktika", 2, 66.7),
    ]
    # Of the two who answered the multiple choice, both chose `cifra`.
    assert several.answered == 2
    assert {o.key: o.percent for o in several.options} == {"finansy": 50.0, "cifra": 100.0, "volontery": 0.0}
    assert text.texts == [("Участник 2", "Меньше лекций")]  # a named survey shows who said it

    moscow = reports.survey_results(named, "77")
    assert moscow.responses == 2
    assert [(o.key, o.count) for o in moscow.questions[1].options] == [("lekcii", 0), ("praktika", 2)]
    assert moscow.questions[3].texts == []


def test_anonymous_results_of_fewer_than_five_are_withheld(anonymous, make_user):
    for n in range(5):
        answer(
            make_user(f"m{n}", region="77"), anonymous, {"q-polza": [str(n + 1)], "q-zamechaniya": [f"м{n}"]}
        )
    for n in range(2):
        answer(make_user(f"t{n}", region="69"), anonymous, {"q-polza": ["3"]})

    assert reports.survey_results(anonymous, "69").withheld is True
    assert reports.survey_results(anonymous, "69").questions == []
    moscow = reports.survey_results(anonymous, "77")
    assert (moscow.withheld, moscow.responses) == (False, 5)
    assert sorted(text for _who, text in moscow.questions[1].texts) == [f"м{n}" for n in range(5)]
    assert all(who == "" for who, _text in moscow.questions[1].texts)

    rows = list(reports.export_rows(anonymous, None))
    assert len(rows) == 7
    # Tver's two rows go out without their region: two answers could be told apart by it.
    assert sorted(row["region"] for row in rows) == ["", "", "77", "77", "77", "77", "77"]
    assert all("name" not in row for row in rows)
    assert list(reports.export_rows(anonymous, "69")) == []


def test_no_hidden_insertion_counter_on_sqlite(app, anonymous, make_user):
    """SQLite's implicit rowid would number responses and participations in the order they were
    written, a join by rank; both tables are WITHOUT ROWID there."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("rowid is SQLite's")
    answer(make_user("anna"), anonymous, ANONYMOUS_FORM)
    for table in ("survey_responses", "survey_participations"):
        with pytest.raises(sa.exc.OperationalError, match="no such column: rowid"):
            db.session.execute(sa.text(f"SELECT rowid FROM {table}"))
        db.session.rollback()

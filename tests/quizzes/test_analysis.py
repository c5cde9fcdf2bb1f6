"""Item analysis statistics on hand-made attempt sets whose figures are worked out by hand."""

from __future__ import annotations

import math

import pytest

from lms.quizzes.analysis import AttemptRecord, analyse

TYPES = {"q1": "single", "q2": "short"}


def records() -> list[AttemptRecord]:
    # Ten attempts; q1 right in the 5 best, q2 right in the 5 worst (a badly discriminating item).
    out = []
    for index in range(10):
        percent = float(index * 10)
        good = index >= 5
        out.append(
            AttemptRecord(
                percent,
                {
                    "q1": (1.0 if good else 0.0, "a" if good else "b"),
                    "q2": (0.0 if good else 1.0, "не то" if good else "протокол"),
                },
            )
        )
    return out


def test_facility_and_discrimination():
    stats = analyse(records(), TYPES, passed=[r.percent >= 50 for r in records()])
    assert stats.attempts == 10
    assert stats.mean_percent == pytest.approx(45.0)
    assert stats.pass_rate == pytest.approx(0.5)
    q1, q2 = stats.questions
    assert q1.mean_credit == pytest.approx(0.5)
    # 27 % of 10 rounds to 3: top three all right, bottom three all wrong.
    assert q1.discrimination == pytest.approx(1.0)
    assert q2.discrimination == pytest.approx(-1.0)
    # Pearson by hand: sum of (x - 0.5)(y - 45) = 125; sum (x - 0.5)^2 = 2.5; sum (y - 45)^2 = 8250.
    expected = 125 / math.sqrt(2.5 * 8250)
    assert q1.point_biserial == pytest.approx(expected)
    assert q2.point_biserial == pytest.approx(-expected)


def test_option_distribution_and_wrong_answers():
    stats = analyse(records(), TYPES)
    q1, q2 = stats.questions
    assert q1.option_counts == {"a": 5, "b": 5}
    assert q2.wrong_answers == [("не то", 5)]
    assert stats.pass_rate is None


def test_no_attempts():
    stats = analyse([], TYPES)
    assert stats.attempts == 0 and stats.mean_percent is None
    assert [q.served for q in stats.questions] == [0, 0]


def test_unanswered_and_unserved_questions_are_counted_apart():
    data = [AttemptRecord(100.0, {"q1": (1.0, "a")}), AttemptRecord(0.0, {"q1": (0.0, None)})]
    stats = analyse(data, TYPES)
    q1, q2 = stats.questions
    assert q1.served == 2 and q1.unanswered == 1
    assert q2.served == 0 and q2.point_biserial is None

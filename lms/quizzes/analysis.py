"""Item analysis of a quiz: pure statistics over submitted attempts, tested on hand-made sets."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

# Classic upper/lower group share for the discrimination index (Kelley, 1939).
GROUP_SHARE = 0.27


@dataclass(frozen=True)
class AttemptRecord:
    """One submitted attempt: its total percent and, per question served, (credit 0..1, response)."""

    percent: float
    answers: dict[str, tuple[float, object]]


@dataclass
class QuestionStats:
    key: str
    served: int = 0
    mean_credit: float = 0.0  # 0..1: the question's facility ("% correct")
    discrimination: float | None = None  # upper 27 % mean credit minus lower 27 %
    point_biserial: float | None = None  # correlation of question credit with total percent
    option_counts: Counter = field(default_factory=Counter)
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)
    unanswered: int = 0


@dataclass
class QuizStats:
    attempts: int
    mean_percent: float | None
    pass_rate: float | None
    questions: list[QuestionStats]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson correlation; None when either side has no variance."""
    if len(xs) < 2:
        return None
    mean_x, mean_y = _mean(xs), _mean(ys)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    if var_x == 0 or var_y == 0:
        return None
    return cov / math.sqrt(var_x * var_y)


def _response_options(response: object) -> list[str]:
    """The option keys a choice response names (single: one, multiple: several)."""
    if isinstance(response, str):
        return [response]
    if isinstance(response, list):
        return [str(item) for item in response]
    if isinstance(response, bool):
        return ["true" if response else "false"]
    return []


def analyse(
    records: list[AttemptRecord],
    question_types: dict[str, str],
    *,
    passed: list[bool] | None = None,
    wrong_answer_limit: int = 5,
) -> QuizStats:
    """Facility, discrimination and answer distributions for each question of a quiz."""
    if not records:
        return QuizStats(0, None, None, [QuestionStats(key) for key in question_types])
    ranked = sorted(records, key=lambda record: record.percent)
    group = max(1, round(len(ranked) * GROUP_SHARE))
    lower, upper = ranked[:group], ranked[-group:]
    stats = []
    for key, kind in question_types.items():
        served = [record for record in records if key in record.answers]
        item = QuestionStats(key, served=len(served))
        if served:
            credits = [record.answers[key][0] for record in served]
            item.mean_credit = _mean(credits)
            item.point_biserial = _correlation(credits, [record.percent for record in served])
            upper_served = [r.answers[key][0] for r in upper if key in r.answers]
            lower_served = [r.answers[key][0] for r in lower if key in r.answers]
            if upper_served and lower_served and len(records) >= 2:
                item.discrimination = _mean(upper_served) - _mean(lower_served)
            wrong: Counter = Counter()
            for record in served:
                credit, response = record.answers[key]
                if response is None:
                    item.unanswered += 1
                    continue
                if kind in ("single", "multiple", "truefalse"):
                    item.option_counts.update(_response_options(response))
                elif kind in ("short", "numeric") and credit < 1:
                    wrong[str(response).strip()] += 1
            item.wrong_answers = wrong.most_common(wrong_answer_limit)
        stats.append(item)
    pass_rate = None if passed is None else sum(passed) / len(passed)
    return QuizStats(len(records), _mean([r.percent for r in records]), pass_rate, stats)

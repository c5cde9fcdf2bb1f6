"""Pure quiz logic around the question types: served layouts, what a candidate may see, scores."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from lms.quizzes.text import normalise_text, parse_number
from lms.quizzes.types import QUESTION_TYPES

__all__ = ["layout", "normalise_text", "parse_number", "public_question", "score_attempt"]

# Options of these types are shuffled when the policy asks for it.
_SHUFFLED_ON_REQUEST = frozenset({"single", "multiple"})
# Served in written order these would give the answer away, so they are always shuffled.
_ALWAYS_SHUFFLED = frozenset({"ordering", "matching"})


def _away_from(keys: list[str], order: list[str]) -> list[str]:
    """`keys`, rotated by one when they happen to be in the answer's `order`."""
    return keys[1:] + keys[:1] if len(keys) >= 2 and keys == order else keys


def layout(questions: list[dict], policy: Mapping[str, Any], seed: int) -> list[dict]:
    """The served order: [{"key": question key, "options": option keys in display order}].

    Draws `policy["draw"]` questions when set (kept in written order unless shuffled), shuffles
    questions and choice options as the policy says, and always shuffles ordering items and
    matching right sides (never into the right order). The same seed gives the same layout.
    """
    rng = random.Random(seed)  # nosec B311  # a reproducible layout from a stored seed, no secret
    served = list(questions)
    draw = policy.get("draw")
    if draw and draw < len(served):
        picked = set(rng.sample(range(len(served)), draw))
        served = [question for index, question in enumerate(served) if index in picked]
    if policy.get("shuffle_questions"):
        rng.shuffle(served)
    result = []
    for question in served:
        keys = [option["key"] for option in question.get("options", [])]
        kind = question["type"]
        if kind in _ALWAYS_SHUFFLED or (kind in _SHUFFLED_ON_REQUEST and policy.get("shuffle_options")):
            written = list(keys)
            rng.shuffle(keys)
            if kind in _ALWAYS_SHUFFLED:
                keys = _away_from(keys, written)
        result.append({"key": question["key"], "options": keys})
    return result


def public_question(question: dict) -> dict:
    """The question without anything that gives its answer away.

    No correctness flags, feedback, explanation or answer key. Ordering items and matching
    right sides (apart from the left ones) are sorted by key, and never in the right order.
    """
    kind = question["type"]
    options = question.get("options", [])
    public: dict[str, Any] = {
        "key": question["key"],
        "type": kind,
        "points": question.get("points", 1.0),
        "prompt_html": question.get("prompt_html", ""),
        "options": [],
    }
    by_key = {o["key"]: o for o in options}
    unordered = _away_from(sorted(by_key), list(by_key))
    if kind == "matching":
        public["options"] = [{"key": o["key"], "html": o.get("left_html", "")} for o in options]
        public["rights"] = [{"key": key, "html": by_key[key].get("right_html", "")} for key in unordered]
    elif kind == "ordering":
        public["options"] = [{"key": key, "html": by_key[key].get("html", "")} for key in unordered]
    elif kind in ("single", "multiple"):
        public["options"] = [{"key": o["key"], "html": o.get("html", "")} for o in options]
    return public


def score_attempt(questions_by_key: Mapping[str, dict], responses: Mapping[str, Any]) -> tuple[float, float]:
    """(points earned, points possible) over the served questions; unanswered ones earn 0."""
    points = max_points = 0.0
    for key, question in questions_by_key.items():
        weight = float(question.get("points", 1.0))
        max_points += weight
        response = responses.get(key)
        if response is not None:
            points += weight * QUESTION_TYPES[question["type"]].grade(question, response)
    return points, max_points

"""Question types: how each reads its answer lines, a submitted form and grades a response.

`QUESTION_TYPES` is the registry. A question reaches these classes as the plain dict the
loader put in the quiz payload (see docs/authoring.md, "Quizzes"); responses are plain JSON.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from lms.quizzes.lines import (
    BULLET,
    CHOICE,
    ITEM,
    VALUE,
    AnswerLine,
    ParsedAnswer,
    ParsedOption,
    Report,
    Span,
    keyed_lines,
    warn_duplicates,
)
from lms.quizzes.question_type import N_, Form, QuestionType, option_keys, values_of
from lms.quizzes.text import SHORT_ANSWER_LIMIT, normalise_text, parse_number

TRUTH = {"true": True, "верно": True, "да": True, "false": False, "неверно": False, "нет": False}
_EPSILON = 1e-9


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Choice(QuestionType):
    """Shared by single and multiple: `- [x] id: text` options with `>` feedback."""

    line_kind = CHOICE

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        parsed = ParsedAnswer()
        marks: list[Span] = []
        for line in lines:
            assert line.box is not None
            if line.box.text[1:-1] not in ("", " ", "x", "X"):
                message = "write [x] for a right option and [ ] for the others"
                report(line.box.line, line.box.col, "E408", message)
            elif line.box.text[1:-1] in ("x", "X"):
                marks.append(line.box)
        for key, line, rest in keyed_lines(lines, report, "option", "- [ ] kassa: text"):
            correct = line.box is not None and line.box.text[1:-1] in ("x", "X")
            parts = {"html": [rest], "feedback_html": line.feedback}
            parsed.options.append(ParsedOption(key, rest.line, parts, {"correct": correct}))
        warn_duplicates([option.parts["html"][0] for option in parsed.options], report, "option text")
        if len(lines) < 2:
            report(heading, 1, "E414", f"a {self.name} question needs at least two `- [ ] id: text` options")
        else:
            self.check_marks(marks, heading, report)
        return parsed

    def check_marks(self, marks: list[Span], heading: int, report: Report) -> None:
        raise NotImplementedError

    def correct_keys(self, question: dict) -> list[str]:
        return [option["key"] for option in question.get("options", []) if option.get("correct")]


class Single(Choice):
    """One right option; credit 1 or 0."""

    name = "single"
    label = N_("Single choice")

    def check_marks(self, marks: list[Span], heading: int, report: Report) -> None:
        if not marks:
            report(heading, 1, "E412", "a single question needs exactly one option marked [x]; none is")
        for mark in marks[1:]:
            message = "a single question has exactly one [x]; use multiple for more"
            report(mark.line, mark.col, "E412", message)

    def coerce(self, question: dict, form: Form) -> str | None:
        keys = option_keys(question)
        return next((value for value in values_of(form, f"q-{question['key']}") if value in keys), None)

    def grade(self, question: dict, response: Any) -> float:
        return 1.0 if isinstance(response, str) and response in self.correct_keys(question) else 0.0

    def correct_response(self, question: dict) -> str:
        return self.correct_keys(question)[0]


class Multiple(Choice):
    """One or more right options; (right chosen − wrong chosen) / right options, at least 0."""

    name = "multiple"
    label = N_("Multiple choice")

    def check_marks(self, marks: list[Span], heading: int, report: Report) -> None:
        if not marks:
            report(heading, 1, "E413", "a multiple question needs at least one option marked [x]")

    def coerce(self, question: dict, form: Form) -> list[str] | None:
        keys = set(option_keys(question))
        chosen = sorted({value for value in values_of(form, f"q-{question['key']}") if value in keys})
        return chosen or None

    def grade(self, question: dict, response: Any) -> float:
        correct = set(self.correct_keys(question))
        if not correct or not isinstance(response, list):
            return 0.0
        chosen = {key for key in response if isinstance(key, str)} & set(option_keys(question))
        return max(0.0, (len(chosen & correct) - len(chosen - correct)) / len(correct))

    def correct_response(self, question: dict) -> list[str]:
        return sorted(self.correct_keys(question))


class Valued(QuestionType):
    """Shared by the types answered by `= ...` lines."""

    line_kind = VALUE
    code: ClassVar[str]  # the error code of this type's answer problems

    def first_value(self, question: dict, form: Form) -> str | None:
        return next((value for value in values_of(form, f"q-{question['key']}") if value), None)

    def one_line(self, lines: list[AnswerLine], heading: int, report: Report, example: str) -> Span | None:
        if not lines:
            report(heading, 1, self.code, f"a {self.name} question needs one answer line: {example}")
            return None
        for extra in lines[1:]:
            report(extra.text.line, 1, self.code, f"a {self.name} question has exactly one `=` line")
        return lines[0].text


class TrueFalse(Valued):
    """A statement that is true or false; credit 1 or 0."""

    name = "truefalse"
    label = N_("True or false")
    code = "E415"

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        span = self.one_line(lines, heading, report, "`= true` or `= false`")
        if span is None:
            return ParsedAnswer()
        value = TRUTH.get(span.text.casefold())
        if value is None:
            words = "true, false, верно, неверно, да, нет"
            report(span.line, span.col, "E415", f"'{span.text}' is not one of: {words}")
            return ParsedAnswer()
        return ParsedAnswer(answer={"value": value})

    def coerce(self, question: dict, form: Form) -> bool | None:
        values = values_of(form, f"q-{question['key']}")
        return next(({"true": True, "false": False}[v] for v in values if v in ("true", "false")), None)

    def grade(self, question: dict, response: Any) -> float:
        expected = question.get("answer", {}).get("value")
        return 1.0 if isinstance(response, bool) and response == expected else 0.0

    def correct_response(self, question: dict) -> bool:
        return bool(question["answer"]["value"])


class Short(Valued):
    """A typed answer matched against accepted answers after `normalise_text`."""

    name = "short"
    label = N_("Short answer")
    code = "E416"

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        if not lines:
            report(heading, 1, "E416", "a short question needs at least one `= accepted answer` line")
        accepted = []
        for line in lines:
            if not normalise_text(line.text.text):
                message = "accepted answer is empty once punctuation is dropped"
                report(line.text.line, line.text.col, "E416", message)
            else:
                accepted.append(line.text)
        warn_duplicates(accepted, report, "accepted answer")
        return ParsedAnswer(answer={"accepted": [span.text for span in accepted]})

    def coerce(self, question: dict, form: Form) -> str | None:
        value = self.first_value(question, form)
        if value is None:
            return None
        return value[:SHORT_ANSWER_LIMIT].strip() or None

    def grade(self, question: dict, response: Any) -> float:
        if not isinstance(response, str) or not normalise_text(response):
            return 0.0
        accepted = {normalise_text(text) for text in question.get("answer", {}).get("accepted", [])}
        return 1.0 if normalise_text(response) in accepted else 0.0

    def correct_response(self, question: dict) -> str:
        return question["answer"]["accepted"][0]


class Numeric(Valued):
    """A number within a tolerance (`= 42 ± 0.5`) or a range (`= 40..44`), bounds included."""

    name = "numeric"
    label = N_("Number")
    code = "E417"

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        span = self.one_line(lines, heading, report, "`= 42`, `= 42 ± 0.5` or `= 40..44`")
        return ParsedAnswer(answer=self._answer(span, report) or {}) if span else ParsedAnswer()

    def _answer(self, span: Span, report: Report) -> dict[str, float] | None:
        separator = next((sep for sep in ("±", "+/-", "+-") if sep in span.text), None)
        if separator is not None:
            at = span.text.index(separator)
            value, tolerance = self._number(span.until(at), report), span.after(at + len(separator))
            width = parse_number(tolerance.text)
            if width is None or width < 0:
                report(tolerance.line, tolerance.col, "E417", "tolerance must be a number of 0 or more")
                return None
            return {"value": value, "tolerance": width} if value is not None else None
        if ".." in span.text:
            at = span.text.index("..")
            end = span.after(at + 2)
            low, high = self._number(span.until(at), report), self._number(end, report)
            if low is None or high is None:
                return None
            if low > high:
                report(end.line, end.col, "E417", f"range {span.text} ends below its start")
                return None
            return {"min": low, "max": high}
        value = self._number(span, report)
        return {"value": value, "tolerance": 0.0} if value is not None else None

    @staticmethod
    def _number(span: Span, report: Report) -> float | None:
        value = parse_number(span.text)
        if value is None:
            report(span.line, span.col, "E417", f"'{span.text}' is not a number")
        return value

    def coerce(self, question: dict, form: Form) -> float | None:
        value = self.first_value(question, form)
        return parse_number(value[:100]) if value else None

    def grade(self, question: dict, response: Any) -> float:
        if not _is_number(response):
            return 0.0
        answer = question.get("answer", {})
        if "min" in answer:
            low, high = float(answer["min"]), float(answer["max"])
        else:
            low = high = float(answer["value"])
            low, high = low - float(answer.get("tolerance", 0)), high + float(answer.get("tolerance", 0))
        slack = _EPSILON * max(1.0, abs(low), abs(high))
        return 1.0 if low - slack <= response <= high + slack else 0.0

    def correct_response(self, question: dict) -> float:
        answer = question["answer"]
        return float(answer["value"]) if "value" in answer else (answer["min"] + answer["max"]) / 2


class Ordering(QuestionType):
    """`1. id: text` items in the right order; credit is the share of items in their place."""

    name = "ordering"
    label = N_("Ordering")
    line_kind = ITEM

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        parsed = ParsedAnswer()
        for key, _line, rest in keyed_lines(lines, report, "item", "1. vydvizhenie: text"):
            parsed.options.append(ParsedOption(key, rest.line, {"html": [rest]}))
        warn_duplicates([option.parts["html"][0] for option in parsed.options], report, "item text")
        if len(lines) < 2:
            report(heading, 1, "E418", "an ordering question needs at least two `1. id: text` items")
        parsed.answer = {"order": [option.key for option in parsed.options]}
        return parsed

    def coerce(self, question: dict, form: Form) -> list[str | None] | None:
        """Slot i holds the item put in place i + 1, or None: an unplaced item stays unplaced.

        Filling the gaps in would show positions the candidate never chose when an autosaved
        attempt is reopened, and could earn credit for items they never placed. Two items given
        the same place keep it in key order, the later one moving to the next free place.
        """
        keys = sorted(option_keys(question))
        given: dict[str, int] = {}
        for key in keys:
            for value in values_of(form, f"q-{question['key']}-{key}"):
                if value.isdecimal() and 1 <= int(value) <= len(keys):
                    given[key] = int(value)
                    break
        if not given:
            return None
        slots: list[str | None] = [None] * len(keys)
        for key in sorted(given, key=lambda key: (given[key], key)):
            free = [index for index, slot in enumerate(slots) if slot is None]
            slots[next((index for index in free if index >= given[key] - 1), free[0])] = key
        return slots

    def grade(self, question: dict, response: Any) -> float:
        order = question.get("answer", {}).get("order", [])
        if not order or not isinstance(response, list):
            return 0.0
        return sum(1 for got, want in zip(response, order, strict=False) if got == want) / len(order)

    def correct_response(self, question: dict) -> list[str]:
        return list(question["answer"]["order"])


class Matching(QuestionType):
    """`- id: left => right` pairs; credit is the share of left sides matched to their right."""

    name = "matching"
    label = N_("Matching")
    line_kind = BULLET

    def parse(self, lines: list[AnswerLine], heading: int, report: Report) -> ParsedAnswer:
        parsed = ParsedAnswer()
        lefts, rights = [], []
        for key, _line, rest in keyed_lines(lines, report, "pair", "- uved: left => right"):
            if "=>" not in rest.text:
                report(rest.line, rest.col, "E419", f"pair '{key}' needs ` => `: `- {key}: left => right`")
                continue
            at = rest.text.index("=>")
            left, right = rest.until(at), rest.after(at + 2)
            if not left.text or not right.text:
                report(rest.line, rest.col, "E419", f"pair '{key}' needs text on both sides of ` => `")
                continue
            lefts.append(left)
            rights.append(right)
            parsed.options.append(ParsedOption(key, rest.line, {"left_html": [left], "right_html": [right]}))
        warn_duplicates(lefts, report, "left side")
        warn_duplicates(rights, report, "right side")
        if len(lines) < 2:
            report(heading, 1, "E419", "a matching question needs at least two `- id: left => right` pairs")
        return parsed

    def coerce(self, question: dict, form: Form) -> dict[str, str] | None:
        keys = option_keys(question)
        chosen = {}
        for key in keys:
            value = next((v for v in values_of(form, f"q-{question['key']}-{key}") if v in keys), None)
            if value is not None:
                chosen[key] = value
        return chosen or None

    def grade(self, question: dict, response: Any) -> float:
        keys = option_keys(question)
        if not keys or not isinstance(response, dict):
            return 0.0
        return sum(1 for key in keys if response.get(key) == key) / len(keys)

    def correct_response(self, question: dict) -> dict[str, str]:
        return {key: key for key in option_keys(question)}


QUESTION_TYPES: dict[str, QuestionType] = {
    kind.name: kind() for kind in (Single, Multiple, TrueFalse, Short, Numeric, Ordering, Matching)
}
# The name of each type for people (translated where shown), never the key authors write.
QUESTION_TYPE_LABELS: dict[str, str] = {name: kind.label for name, kind in QUESTION_TYPES.items()}

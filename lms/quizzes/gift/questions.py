"""What the GIFT parser makes of a file: questions in the LMS's terms, errors, the converted result."""

from __future__ import annotations

from dataclasses import dataclass, field

BLANK = "_____"  # the blank in a fill-in question's prompt, at `GiftQuestion.blank_at`


@dataclass(frozen=True)
class GiftError:
    """A problem that stops the conversion, at its 1-based position in the GIFT file."""

    line: int
    col: int
    message: str


@dataclass(frozen=True)
class GiftText:
    """A text as written in GIFT, escapes decoded, with its format: moodle, html, plain or markdown."""

    value: str
    format: str = "moodle"


@dataclass(frozen=True)
class GiftAnswer:
    """A choice option or a short answer; `correct` is what the converted question marks right."""

    text: GiftText
    weight: float  # the GIFT percentage, -100..100
    correct: bool
    feedback: GiftText | None
    line: int
    col: int


@dataclass(frozen=True)
class GiftNumber:
    """A numeric answer: `value` ± `tolerance`, or the range `value`..`upper`."""

    value: str
    tolerance: str
    upper: str | None
    weight: float
    feedback: GiftText | None
    line: int
    col: int


@dataclass(frozen=True)
class GiftPair:
    """One matching pair; the right side is plain text, as Moodle reads it."""

    left: GiftText
    right: str
    line: int
    col: int


@dataclass
class GiftQuestion:
    """One GIFT question in the LMS's terms: `kind` is the LMS question type."""

    kind: str  # single | multiple | truefalse | short | numeric | matching
    title: str
    prompt: GiftText  # a fill-in question's blank is the `_____` at `blank_at`
    line: int
    col: int
    blank_at: int | None = None
    answers: list[GiftAnswer] = field(default_factory=list)
    numbers: list[GiftNumber] = field(default_factory=list)
    pairs: list[GiftPair] = field(default_factory=list)
    truth: bool | None = None
    right_feedback: GiftText | None = None  # true/false: shown for the right answer
    wrong_feedback: GiftText | None = None  # true/false and numeric: shown for a wrong answer
    general_feedback: GiftText | None = None


@dataclass
class GiftResult:
    """A converted quiz file; when `errors` is non-empty, callers must not write `markdown`."""

    markdown: str
    questions: int
    errors: list[GiftError]
    notes: list[str]

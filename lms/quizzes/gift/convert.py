"""Moodle GIFT → the project's Markdown quiz format: text in, Markdown, errors and notes out.

Parsing follows Moodle's own importer (question/format/gift) so a file means what it means in
Moodle; what this LMS cannot express is refused with an error or dropped with a note, never silently.
"""

from __future__ import annotations

import re
from itertools import pairwise

import yaml

from lms.content.scan import defuse_charrefs
from lms.content.schema import ID_PATTERN
from lms.quizzes.gift.ids import option_ids, slugify, unique_id
from lms.quizzes.gift.questions import (
    BLANK,
    GiftAnswer,
    GiftError,
    GiftNumber,
    GiftPair,
    GiftQuestion,
    GiftResult,
    GiftText,
)
from lms.quizzes.gift.source import Position, Span, answer_block, format_prefix, question_blocks, read_number
from lms.quizzes.gift.to_markdown import BLANK_MARK, escape_literal, one_line, text_to_markdown
from lms.quizzes.text import normalise_text

EXPLANATION = "### Пояснение"
PASS_MARK = 70
_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_ESSAY = "essay questions are not supported: use a field assignment"


Item = tuple[Span, float, Span]  # an answer with its mark, its weight, the rest after the weight


class _Parser:
    """Reads GIFT question by question, collecting every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.questions: list[GiftQuestion] = []
        self.errors: list[GiftError] = []
        self.notes: list[str] = []

    def error(self, where: Position, message: str) -> bool:
        self.errors.append(GiftError(where[0], where[1], message))
        return False

    def parse(self, text: str) -> None:
        # A character reference too long to name a character would make html.unescape raise;
        # the same length keeps every error's column.
        for block in question_blocks(defuse_charrefs(text)):
            while block and block[0][2].startswith("$CATEGORY:"):
                self.notes.append(f"line {block[0][0]}: {block[0][2]} ignored")
                block = block[1:]
            if block:
                self.question(Span.from_lines(block).strip())
        self.errors.sort(key=lambda error: (error.line, error.col))

    def question(self, span: Span) -> None:
        start, title = span.pos(), ""
        if span.startswith("::"):
            close = span.find("::", 2)
            if close < 0:
                self.error(start, "the question title is not closed: end it with `::`")
                return
            title, span = span[2:close].text.strip(), span[close + 2 :].strip()
        open_at, close_at, problems = answer_block(span)
        for where, message in problems:
            self.error(where, message)
        if open_at < 0 and not problems:
            self.notes.append(f"line {start[0]}: a description without an answer block skipped")
        if open_at < 0 or problems:
            return
        fmt, before = format_prefix(span[:open_at].text, "moodle")
        after = span[close_at + 1 :].text
        full, blank_at = before, None
        if after.strip():  # Moodle's missing-word form: the answers stand for a blank
            full = before + BLANK + after
            blank_at = len(before) - (len(full) - len(full.lstrip()))
        question = GiftQuestion("", title, GiftText(full.strip(), fmt), *start, blank_at=blank_at)
        has_text = bool((before + after).strip()) or self.error(start, "the question has no text")
        inner = span[open_at + 1 : close_at]
        if (general := inner.rfind("####")) >= 0:
            question.general_feedback = self.text(inner[general + 4 :], fmt)
            inner = inner[:general]
        body, brace = inner.strip(), span.pos(open_at)
        if not body.text:
            ok = self.error(start, _ESSAY)
        elif body.startswith("#"):
            ok = self.numeric(question, body[1:], brace)
        elif body.find("~") >= 0:
            ok = self.choice(question, body, brace)
        elif body.find("=") >= 0 and body.find("->") >= 0:
            ok = self.matching(question, body, brace)
        elif body.split("#", 1)[0].text.strip().upper() in _TRUE + _FALSE:
            ok = self.truefalse(question, body)
        else:
            ok = self.short(question, body, brace)
        if ok and has_text:
            self.questions.append(question)

    def text(self, span: Span, default_format: str) -> GiftText:
        text_format, value = format_prefix(span.text.strip(), default_format)
        return GiftText(value.strip(), text_format)

    def weight(self, span: Span, default: float) -> tuple[float, Span] | None:
        """An answer's optional `%weight%` prefix; None after an error."""
        if not span.startswith("%"):
            return default, span
        match = _WEIGHT.match(span.text)
        if not match or abs(float(match[1])) > 100:
            self.error(span.pos(), "bad weight: write a percentage from -100 to 100, like `%50%`")
            return None
        return float(match[1]), span[match.end() :].strip()

    def items(self, body: Span, marks: str, *, lead_ok: bool = False) -> list[Item] | None:
        """Split at unescaped answer marks (`=` full credit, `~` none); None after an error."""
        cuts = [index for index, char in enumerate(body.text) if char in marks and not body.literal[index]]
        lead = body[: cuts[0]] if cuts else body
        if lead.text.strip() and not lead_ok:
            starts = " or ".join(f"`{mark}`" for mark in marks)
            self.error(lead.strip().pos(), f"an answer must start with {starts}")
            return None
        pieces = [body[start:stop] for start, stop in pairwise([*cuts, len(body.text)])]
        out, ok = [], True
        for piece in ([lead.strip()] if lead.text.strip() else []) + pieces:
            marked = piece.text[0] in marks and not piece.literal[0]
            default = 0.0 if marked and piece.text[0] == "~" else 100.0
            weighed = self.weight(piece[1 if marked else 0 :].strip(), default)
            ok = ok and weighed is not None
            if weighed:
                out.append((piece, *weighed))
        return out if ok else None

    def answer(self, item: Item, fmt: str) -> tuple[GiftText, GiftText | None] | None:
        """An answer's text and its `#feedback`; None (an error) when the text is empty."""
        parts = item[2].split("#", 1)
        text = self.text(parts[0], fmt)
        if not text.value:
            self.error(item[0].pos(), "empty answer")
            return None
        return text, self.text(parts[1], fmt) if len(parts) > 1 else None

    def choice(self, question: GiftQuestion, body: Span, brace: Position) -> bool:
        items = self.items(body, "=~")
        if items is None:
            return False
        marked = [piece for piece, _, _ in items if piece.text[0] == "="]
        if len(marked) > 1:
            return self.error(
                marked[1].pos(),
                "several answers marked `=`: a single-choice question has one "
                "right answer; give several right answers weights like `~%50%`",
            )
        positive = sum(1 for piece, weight, _ in items if piece.text[0] == "~" and weight > 0)
        question.kind = "single" if marked or positive == 1 else "multiple"
        for item in items:
            if (parsed := self.answer(item, question.prompt.format)) is not None:
                correct = item[0].text[0] == "=" if marked else item[1] > 0
                question.answers.append(GiftAnswer(parsed[0], item[1], correct, parsed[1], *item[0].pos()))
        if len(question.answers) < len(items):
            return False
        if len(items) < 2:
            return self.error(brace, "a choice question needs at least two answers")
        if not marked and not positive:
            return self.error(brace, "no correct answer: mark it with `=` or weigh right ones like `~%50%`")
        return True

    def truefalse(self, question: GiftQuestion, body: Span) -> bool:
        parts, fmt = body.split("#", 2), question.prompt.format
        question.kind, question.truth = "truefalse", parts[0].text.strip().upper() in _TRUE
        question.wrong_feedback = self.text(parts[1], fmt) if len(parts) > 1 else None
        question.right_feedback = self.text(parts[2], fmt) if len(parts) > 2 else None
        return True

    def short(self, question: GiftQuestion, body: Span, brace: Position) -> bool:
        question.kind, items = "short", self.items(body, "=")
        for item in items or []:
            if (parsed := self.answer(item, question.prompt.format)) is None:
                continue
            if not normalise_text(parsed[0].value):  # the LMS compares answers without punctuation
                self.error(item[0].pos(), "an accepted answer needs letters or digits")
                continue
            text = GiftText(parsed[0].value, "plain")  # Moodle compares accepted answers as typed
            question.answers.append(GiftAnswer(text, item[1], item[1] == 100, parsed[1], *item[0].pos()))
        if items is None or len(question.answers) < len(items):
            return False
        if not any(answer.correct for answer in question.answers):
            return self.error(brace, "no answer gets full credit: write one `=` answer without a weight")
        return True

    def numeric(self, question: GiftQuestion, body: Span, brace: Position) -> bool:
        question.kind = "numeric"
        if (tilde := body.find("~")) >= 0:  # Moodle's feedback for every other number
            wrong = body[tilde + 1 :].strip()
            wrong = wrong[1:] if wrong.startswith("#") else wrong
            question.wrong_feedback = self.text(wrong, question.prompt.format)
            body = body[:tilde]
        items = self.items(body, "=", lead_ok=True)
        if items == []:
            return self.error(brace, "a numeric question needs a number after `#`")
        for item in items or []:
            if (number := self.number(item, question.prompt.format)) is not None:
                question.numbers.append(number)
        if items is None or len(question.numbers) < len(items):
            return False
        if not any(number.weight == 100 for number in question.numbers):
            return self.error(brace, "no answer gets full credit: write one number without a weight")
        return True

    def number(self, item: Item, fmt: str) -> GiftNumber | None:
        parts = item[2].split("#", 1)
        read = read_number(parts[0].text.strip())
        if isinstance(read, str):
            self.error(parts[0].strip().pos(), read)
            return None
        feedback = self.text(parts[1], fmt) if len(parts) > 1 else None
        return GiftNumber(*read, item[1], feedback, *parts[0].strip().pos())

    def matching(self, question: GiftQuestion, body: Span, brace: Position) -> bool:
        question.kind, items, ok = "matching", self.items(body, "="), True
        for piece, _, rest in items or []:
            if (arrow := rest.find("->")) < 0:
                ok = self.error(piece.pos(), "a matching pair needs `->` between its two sides")
                continue
            left, right = self.text(rest[:arrow], question.prompt.format), rest[arrow + 2 :].text.strip()
            if not right:
                ok = self.error(piece.pos(), "empty answer")
            elif not left.value:  # Moodle's extra wrong answer; the LMS matches pairs only
                self.notes.append(f"line {piece.pos()[0]}: the extra answer {right!r} without a pair dropped")
            else:
                question.pairs.append(GiftPair(left, right, *piece.pos()))
        if items is None or not ok:
            return False
        return len(question.pairs) >= 2 or self.error(brace, "a matching question needs at least two pairs")


class _Writer:
    """Writes parsed questions as Markdown, noting what the LMS cannot keep."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.errors: list[GiftError] = []
        self.dropped: set[str] = set()

    def block(self, text: GiftText, blank_at: int | None = None) -> str:
        value = text.value
        if blank_at is not None:  # a mark survives escaping, the underscores of the blank would not
            value = value[:blank_at] + BLANK_MARK + value[blank_at + len(BLANK) :]
        markdown, dropped = text_to_markdown(value, text.format)
        self.dropped |= dropped
        return markdown.replace(BLANK_MARK, BLANK)

    def inline(self, text: GiftText, line: int, col: int) -> str:
        """Markdown on one line that cannot open with `[x]`, for option lines and pairs."""
        shown = one_line(self.block(text))
        if not shown:  # e.g. an answer that was only an image
            self.errors.append(GiftError(line, col, "the answer has no text left once its HTML is converted"))
        return "\\" + shown if re.match(r"\[[^\]\n]?\]", shown) else shown  # a `[x]` box, not a link

    def question(self, question: GiftQuestion, qid: str) -> str:
        where, self.dropped = f"line {question.line} ({qid})", set()
        prompt = self.block(question.prompt, question.blank_at)
        if not prompt.replace(BLANK, "").strip():
            self.errors.append(
                GiftError(
                    question.line, question.col, "the question has no text left once its HTML is converted"
                )
            )
        if question.kind == "matching":  # list items in its prompt would read as pairs
            prompt = re.sub(r"^([-*+])(?=[ \t])", r"\\\1", prompt, flags=re.MULTILINE)
        lines = [f"## {qid} [{question.kind}]", prompt, ""]
        extra: list[tuple[str, GiftText | None]] = []  # answer feedback with no place of its own
        if question.kind in ("single", "multiple"):
            lines += self.choice(question, where)
        elif question.kind == "truefalse":
            lines.append(f"= {'true' if question.truth else 'false'}")
            names = {True: "верно", False: "неверно"}
            extra += [
                (f"Ответ «{names[bool(question.truth)]}»", question.right_feedback),
                (f"Ответ «{names[not question.truth]}»", question.wrong_feedback),
            ]
        elif question.kind == "short":
            accepted: set[str] = set()  # the LMS compares normalised answers: repeats would warn
            for answer in (answer for answer in question.answers if answer.correct):
                if normalise_text(answer.text.value) not in accepted:
                    accepted.add(normalise_text(answer.text.value))
                    lines.append(f"= {one_line(answer.text.value)}")
                extra.append((f"Ответ «{escape_literal(one_line(answer.text.value))}»", answer.feedback))
            if not all(answer.correct for answer in question.answers):
                self.notes.append(f"{where}: answers with partial credit dropped; only full-credit ones kept")
        elif question.kind == "numeric":
            kept = next(number for number in question.numbers if number.weight == 100)
            shown = f"{kept.value}..{kept.upper}" if kept.upper is not None else kept.value
            shown += f" ± {kept.tolerance}" if kept.upper is None and float(kept.tolerance) else ""
            lines.append(f"= {shown}")
            if len(question.numbers) > 1:
                self.notes.append(f"{where}: only the first full-credit number kept, other answers dropped")
            extra += [(f"Ответ «{shown}»", kept.feedback), ("Другие ответы", question.wrong_feedback)]
        else:
            for letter, pair in zip(option_ids(), question.pairs, strict=False):
                right = escape_literal(one_line(pair.right))
                lines.append(f"- {letter}: {self.inline(pair.left, pair.line, pair.col)} => {right}")
        moved = [f"{label}: {self.block(text)}" for label, text in extra if text and text.value]
        if moved:
            self.notes.append(f"{where}: answer feedback moved into the explanation")
        general = question.general_feedback
        explanation = ([self.block(general)] if general and general.value else []) + moved
        if explanation:
            lines += ["", EXPLANATION, "\n\n".join(explanation)]
        if self.dropped:
            tags = ", ".join(f"<{tag}>" for tag in sorted(self.dropped))
            self.notes.append(f"{where}: HTML {tags} dropped")
        return "\n".join(lines) + "\n"

    def choice(self, question: GiftQuestion, where: str) -> list[str]:
        lines = []
        for letter, answer in zip(option_ids(), question.answers, strict=False):
            text = self.inline(answer.text, answer.line, answer.col)
            lines.append(f"- [{'x' if answer.correct else ' '}] {letter}: {text}")
            if answer.feedback and answer.feedback.value:
                lines += [f"  > {line}".rstrip() for line in self.block(answer.feedback).split("\n")]
        weights = [answer.weight for answer in question.answers if answer.correct]
        shown = ", ".join(f"{weight:g}%" for weight in weights)
        partial = any(answer.weight > 0 and not answer.correct for answer in question.answers)
        if question.kind == "multiple" and any(abs(weight - 100 / len(weights)) > 0.05 for weight in weights):
            self.notes.append(f"{where}: weights {shown}: this LMS's partial-credit rule applies instead")
        elif question.kind == "single" and partial:
            self.notes.append(f"{where}: partial credit of weighted wrong answers dropped")
        elif question.kind == "single" and weights[0] != 100:
            self.notes.append(f"{where}: the only weighted answer ({shown}) counts as fully right")
        return lines


def parse_gift(text: str) -> tuple[list[GiftQuestion], list[GiftError]]:
    """The questions of a GIFT file in the LMS's terms, and every error with its position."""
    parser = _Parser()
    parser.parse(text)
    return parser.questions, parser.errors


def convert_gift(text: str, *, quiz_id: str, title: str) -> GiftResult:
    """A whole quiz file in the project's Markdown format from the text of a GIFT file."""
    if not ID_PATTERN.match(quiz_id):
        raise ValueError(f"invalid quiz id {quiz_id!r}: use lowercase latin letters, digits and '-'")
    parser, writer = _Parser(), _Writer()
    parser.parse(text)
    front = {"id": quiz_id, "title": title, "type": "quiz", "pass_mark": PASS_MARK}
    chunks = ["---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1 << 30) + "---\n"]
    ids: list[str] = []
    for number, question in enumerate(parser.questions, start=1):
        ids.append(unique_id(slugify(question.title) or f"q{number}", ids))
        chunks.append(writer.question(question, ids[-1]))
    errors = sorted(parser.errors + writer.errors, key=lambda error: (error.line, error.col))
    if not parser.questions and not errors:
        errors = [GiftError(1, 1, "no questions found")]
    notes = sorted(parser.notes + writer.notes, key=lambda note: int(note.split()[1].rstrip(":")))
    return GiftResult("\n".join(chunks), len(parser.questions), errors, notes)

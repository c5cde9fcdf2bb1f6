"""`flask lms check`, `flask lms import` and `flask lms render` as authors use them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.models import Lesson
from lms.extensions import db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROBLEM_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[EW]\d{3}) \S.*$")


def test_check_on_a_clean_tree_exits_zero(runner, courses_dir):
    result = runner.invoke(args=["lms", "check", str(courses_dir)])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_check_reports_every_problem_and_exits_one(runner):
    result = runner.invoke(args=["lms", "check", str(FIXTURES / "courses" / "broken")])
    assert result.exit_code == 1
    problems = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(problems) >= 10, "all problems at once, not the first one only"
    for line in problems:
        assert PROBLEM_LINE.match(line), line


def test_import_refuses_a_broken_tree_and_keeps_the_database(app, runner, courses_dir):
    assert runner.invoke(args=["lms", "import"]).exit_code == 0
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Lesson))
    lesson_file = next(
        path for path in courses_dir.rglob("*.md") if "\nid: l-three\n" in path.read_text("utf-8")
    )
    lesson_file.write_text("---\nid: l-three\ntitle: [broken\n---\nТекст\n", encoding="utf-8")
    new_file = lesson_file.with_name("02-new.md")
    new_file.write_text("---\nid: l-new\ntitle: Новый\n---\nТекст\n", encoding="utf-8")
    module_file = lesson_file.parent / "module.md"
    module_file.write_text(
        module_file.read_text("utf-8").replace("items:\n", "items:\n  - 02-new.md\n"), "utf-8"
    )
    result = runner.invoke(args=["lms", "import"])
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert "01-third.md:4:1: E100 invalid YAML" in result.output, result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lesson)) == count
    assert db.session.scalar(sa.select(Lesson).where(Lesson.key == "l-new")) is None


def test_import_twice_changes_nothing(app, runner):
    first = runner.invoke(args=["lms", "import"])
    second = runner.invoke(args=["lms", "import"])
    assert first.exit_code == second.exit_code == 0
    assert "added (6)" in first.output
    assert "added" not in second.output and "unchanged: 6" in second.output


class _Inspector(HTMLParser):
    """Collects what would be dangerous in a browser: tags, handler attributes, URL schemes."""

    DANGEROUS_TAGS = {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "form",
        "base",
        "meta",
        "svg",
        "math",
        "link",
        "input",
        "button",
        "textarea",
        "frame",
        "frameset",
        "applet",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.DANGEROUS_TAGS:
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "formaction", "srcdoc"):
                self.findings.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "xlink:href", "poster", "background") and value:
                compact = re.sub(r"[\x00-\x20]", "", value).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", compact)
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.findings.append(f"{tag}[{name}]={value!r}")


def _payloads() -> list[str]:
    lines = (FIXTURES / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("payload", _payloads())
def test_render_command_neutralises_xss(runner, tmp_path, payload):
    source = tmp_path / "lesson.md"
    source.write_text(
        f"---\nid: x\ntitle: X\n---\nТекст до.\n\n{payload}\n\nТекст после.\n", encoding="utf-8"
    )
    result = runner.invoke(args=["lms", "render", str(source)])
    assert result.exit_code == 0, result.output
    inspector = _Inspector()
    inspector.feed(result.output)
    assert inspector.findings == [], f"{payload!r} rendered as {result.output!r}"
    assert "Текст до." in result.output


def test_check_reports_a_symlink_leading_out_of_the_tree(runner, courses_dir, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\nid: l-three\ntitle: Секрет\n---\nroot:x:0:0\n", encoding="utf-8")
    lesson = courses_dir / "tiny-course" / "02-two" / "01-third.md"
    lesson.unlink()
    lesson.symlink_to(secret)
    result = runner.invoke(args=["lms", "check", str(courses_dir)])
    assert result.exit_code == 1
    assert "02-two/01-third.md:1:1: E215 a symlink leading outside the folder being imported" in result.output
    assert "root:x" not in result.output

"""Writing one-quiz course trees for the format and type tests."""

from __future__ import annotations

from pathlib import Path

from lms.content.loader import load_tree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
QUIZ_TREE = FIXTURES / "quiz"
BROKEN_TREE = FIXTURES / "quiz-broken"
QUIZ_PATH = "c/m/quiz.md"
BODY_LINE = 6  # the line a body starts on under the four-line front matter below


def quiz_tree(root: Path, body: str, front: str = "") -> Path:
    """A course `c` with one module holding `quiz.md`; `front` adds front matter lines."""
    module = root / "c" / "m"
    module.mkdir(parents=True, exist_ok=True)
    (root / "c" / "course.md").write_text(
        "---\nid: c-course\ntitle: C\nsummary: S\nmodules: [m]\n---\n", encoding="utf-8"
    )
    module_md = "---\nid: c-module\ntitle: M\nitems: [quiz.md]\n---\n"
    (module / "module.md").write_text(module_md, encoding="utf-8")
    quiz_md = f"---\nid: quiz\ntitle: Q\ntype: quiz\n{front}---\n{body}"
    (module / "quiz.md").write_text(quiz_md, encoding="utf-8")
    return root


def problems_of(root: Path, body: str, front: str = "") -> list[str]:
    """`path:line:col: CODE` of every problem in a one-quiz tree."""
    result = load_tree(quiz_tree(root, body, front), display_prefix="")
    return [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in result.problems]


def payload_of(root: Path, body: str, front: str = "") -> dict:
    """The payload of a quiz that must load without problems."""
    result = load_tree(quiz_tree(root, body, front), display_prefix="")
    assert [str(p) for p in result.problems] == []
    return result.courses[0].modules[0].lessons[0].payload


def question_of(root: Path, body: str) -> dict:
    """The only question of a quiz that must load without problems."""
    [question] = payload_of(root, body)["questions"]
    return question

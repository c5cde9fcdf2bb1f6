"""Loading course trees: structure, every check with its exact position, the render cache."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import markdown
import pytest

from lms.content import loader as loader_module
from lms.content import render as render_module
from lms.content.loader import check_tree, load_tree, render_file
from lms.content.problems import ContentError, Problem
from lms.content.registry import ITEM_KINDS
from lms.content.render import LinkRef, Rendered
from lms.content.schema import Field, whole_number
from lms.content.sources import LoadResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the good tree."""
    return Path(shutil.copytree(GOOD, tmp_path / "courses"))


def lines(problems: list[Problem]) -> list[str]:
    return [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in problems]


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_good_tree_loads_without_problems() -> None:
    result = load_tree(GOOD)
    assert result.problems == []
    [course] = result.courses
    assert (course.id, course.title, course.folder, course.position) == (
        "tiny-course",
        "Крошечный курс",
        "tiny-course",
        0,
    )
    assert (course.audience, course.estimated_hours, course.lesson_completion) == (
        "Разработчики",
        1.5,
        "button",
    )
    assert (course.completion.kind, course.completion.percent) == ("all", 100)
    assert course.rel_path == "tiny-course/course.md"
    assert course.html == "<p>Введение в <strong>крошечный</strong> курс.</p>"
    assert [(m.id, m.folder, m.position) for m in course.modules] == [
        ("m-one", "01-one", 0),
        ("m-two", "02-two", 1),
    ]
    lessons = [lesson for module in course.modules for lesson in module.lessons]
    assert [(x.id, x.position, x.path_in_course) for x in lessons] == [
        ("l-one", 0, "01-one/01-first.md"),
        ("l-two", 1, "01-one/02-second.md"),
        ("l-three", 0, "02-two/01-third.md"),
    ]
    first, second, _third = lessons
    assert (first.kind, first.minutes, first.complete, first.summary) == (
        "lesson",
        10,
        "button",
        "Зачем всё это",
    )
    assert (second.complete, second.minutes) == ("view", None)
    assert first.rel_path == "tiny-course/01-one/01-first.md"
    assert first.front_matter == {
        "id": "l-one",
        "title": "Первый урок",
        "minutes": 10,
        "summary": "Зачем всё это",
    }
    assert first.toc == [{"level": 2, "id": "content-зачем-анализ", "title": "Зачем анализ"}]
    assert first.links == [LinkRef("../02-two/01-third.md#итоги", 3, 50)]
    assert first.images == [LinkRef("img/dot.png", 5, 19, alt="Точка на карте")]
    assert 'src="/courses/tiny-course/assets/01-one/img/dot.png"' in first.html
    anchor = "#content-%D0%B8%D1%82%D0%BE%D0%B3%D0%B8"  # «итоги», with the content ids' prefix
    assert f'href="/courses/tiny-course/go/02-two/01-third.md{anchor}"' in first.html
    assert '<div class="admonition note">' in first.html
    assert '<th align="left">Шаг</th>' in second.html
    assert len(first.source_hash) == 64 and len(first.render_key) == 64
    assert len({x.render_key for x in lessons}) == 3


def test_display_prefix_defaults_to_the_root_as_given(tree: Path) -> None:
    write(tree / "tiny-course" / "01-one" / "02-second.md", "no front matter\n")
    assert lines(load_tree(tree).problems) == [f"{tree.as_posix()}/tiny-course/01-one/02-second.md:1:1: E101"]
    assert lines(load_tree(tree, display_prefix="courses").problems) == [
        "courses/tiny-course/01-one/02-second.md:1:1: E101"
    ]
    assert lines(check_tree(tree, display_prefix="")) == ["tiny-course/01-one/02-second.md:1:1: E101"]


BROKEN_EXPECTED = [
    "broken/alpha/01-first/01-lesson.md:7:14: E301",
    "broken/alpha/01-first/01-lesson.md:7:43: W301",
    "broken/alpha/01-first/01-lesson.md:8:5: E304",
    "broken/alpha/01-first/01-lesson.md:8:5: W302",
    "broken/alpha/01-first/01-lesson.md:9:11: E307",
    "broken/alpha/01-first/01-lesson.md:9:46: E307",
    "broken/alpha/01-first/01-lesson.md:10:12: E305",
    "broken/alpha/01-first/01-lesson.md:10:46: E306",
    "broken/alpha/01-first/01-lesson.md:11:21: E303",
    "broken/alpha/01-first/01-lesson.md:13:5: W102",
    "broken/alpha/01-first/01-lesson.md:21:6: E301",
    "broken/alpha/01-first/03-bad-yaml.md:4:8: E100",
    "broken/alpha/01-first/04-no-fm.md:1:1: E101",
    "broken/alpha/01-first/05-types.md:2:5: E109",
    "broken/alpha/01-first/05-types.md:3:8: E110",
    "broken/alpha/01-first/05-types.md:4:7: E209",
    "broken/alpha/01-first/05-types.md:5:10: E108",
    "broken/alpha/01-first/05-types.md:6:11: E108",
    "broken/alpha/01-first/05-types.md:7:10: E108",
    "broken/alpha/01-first/05-types.md:8:1: E106",
    "broken/alpha/01-first/05-types.md:9:1: E106",
    "broken/alpha/01-first/05-types.md:10:1: E107",
    "broken/alpha/01-first/06-dup.md:2:5: E201",
    "broken/alpha/01-first/07-empty.md:1:1: E105",
    "broken/alpha/01-first/07-empty.md:3:1: W101",
    "broken/alpha/01-first/08-nomap.md:2:1: E103",
    "broken/alpha/01-first/09-latin1.md:3:11: E104",
    "broken/alpha/01-first/10-unclosed.md:1:1: E102",
    "broken/alpha/01-first/module.md:4:1: W201",
    "broken/alpha/01-first/module.md:6:5: E206",
    "broken/alpha/01-first/module.md:7:5: E207",
    "broken/alpha/01-first/module.md:8:5: E210",
    "broken/alpha/02-second/module.md:4:8: E208",
    "broken/alpha/course.md:5:1: E106",
    "broken/alpha/course.md:6:20: E108",
    "broken/alpha/course.md:7:18: E108",
    "broken/alpha/course.md:8:23: E108",
    "broken/alpha/course.md:9:1: W202",
    "broken/alpha/course.md:11:5: E207",
    "broken/alpha/course.md:12:5: E204",
    "broken/alpha/course.md:13:5: E205",
    "broken/alpha/course.md:14:5: E210",
    "broken/alpha/course.md:16:27: E202",
    "broken/alpha/course.md:16:36: E109",
    "broken/alpha/course.md:18:17: E302",
    "broken/beta/01-m/01-l.md:5:25: E302",
    "broken/beta/course.md:1:1: E105",
    "broken/beta/course.md:2:5: E201",
    "broken/beta/course.md:6:16: E203",
    "broken/epsilon/course.md:1:1: E101",
    "broken/gamma:1:1: W203",
]


def test_broken_tree_reports_every_problem_at_its_exact_place() -> None:
    result = load_tree(BROKEN, display_prefix="broken")
    assert lines(result.problems) == BROKEN_EXPECTED


def test_broken_tree_messages_explain_the_fix() -> None:
    messages = {str(p) for p in load_tree(BROKEN, display_prefix="broken").problems}
    for expected in [
        "broken/alpha/course.md:5:1: E106 unknown key 'titel' (did you mean 'title'?)",
        "broken/alpha/01-first/05-types.md:9:1: E106 unknown key 'sumary' (did you mean 'summary'?)",
        "broken/alpha/01-first/06-dup.md:2:5: E201 duplicate id 'l-one'"
        " (already used at broken/alpha/01-first/01-lesson.md:2)",
        "broken/alpha/course.md:16:27: E202 renamed_from 'm-first' is the live id at"
        " broken/alpha/01-first/module.md:2",
        "broken/alpha/01-first/03-bad-yaml.md:4:8: E100 invalid YAML: did not find expected ',' or ']'"
        " (while parsing a flow sequence on line 3)",
        "broken/alpha/01-first/09-latin1.md:3:11: E104 file is not valid UTF-8 (byte 0xe9); save it as UTF-8",
        "broken/alpha/01-first/01-lesson.md:21:6: E301 broken link '../02-second/01-x.md#missing':"
        " 02-second/01-x.md does not exist",
    ]:
        assert expected in messages


def test_nothing_is_importable_when_errors_exist() -> None:
    result = load_tree(BROKEN, display_prefix="broken")
    assert result.errors and result.warnings
    assert all(p.severity == "error" for p in result.errors)
    assert result.courses == []
    with pytest.raises(ContentError) as caught:
        result.raise_for_errors()
    assert caught.value.problems == result.errors
    assert str(caught.value).splitlines()[0].startswith("broken/alpha/01-first/01-lesson.md:7:14: E301 ")


def test_a_broken_course_does_not_hide_a_valid_one(tree: Path) -> None:
    shutil.copytree(BROKEN / "beta", tree / "zz-beta")
    result = load_tree(tree, display_prefix="c")
    assert result.errors
    assert [course.id for course in result.courses] == ["tiny-course"]


def test_warnings_alone_keep_the_course(tree: Path) -> None:
    write(tree / "tiny-course" / "01-one" / "03-extra.md", "---\nid: extra\ntitle: Extra\n---\nx\n")
    result = load_tree(tree, display_prefix="c")
    assert [str(p) for p in result.problems] == [
        "c/tiny-course/01-one/module.md:5:1: W201 file '03-extra.md' is not listed in items"
    ]
    assert result.errors == [] and len(result.courses) == 1
    result.raise_for_errors()


def test_bom_and_crlf_files_load_and_keep_positions(tree: Path) -> None:
    lesson = tree / "tiny-course" / "01-one" / "02-second.md"
    text = lesson.read_text(encoding="utf-8")
    clean = load_tree(tree).courses[0].modules[0].lessons[1]
    lesson.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    result = load_tree(tree, display_prefix="c")
    assert result.problems == []
    converted = result.courses[0].modules[0].lessons[1]
    assert converted.html == clean.html and converted.title == "Второй урок"
    lesson.write_bytes(
        b"\xef\xbb\xbf" + text.replace("\n", "\r\n").replace("complete: view", "complete: x").encode()
    )
    assert lines(load_tree(tree, display_prefix="c").problems) == [
        "c/tiny-course/01-one/02-second.md:4:11: E108"
    ]
    lesson.write_bytes(b"\xef\xbb\xbf" + (text + "\n![](nope.png)\n").replace("\n", "\r\n").encode())
    assert lines(load_tree(tree, display_prefix="c").problems) == [
        "c/tiny-course/01-one/02-second.md:13:5: E304",
        "c/tiny-course/01-one/02-second.md:13:5: W302",
    ]


def test_non_utf8_file_is_an_error_with_its_line(tree: Path) -> None:
    lesson = tree / "tiny-course" / "02-two" / "01-third.md"
    lesson.write_bytes(lesson.read_bytes().replace("Итоги".encode(), b"\xc8\xf2\xee\xe3\xe8"))
    assert lines(load_tree(tree, display_prefix="c").problems) == [
        "c/tiny-course/02-two/01-third.md:5:4: E104"
    ]


def test_empty_file_and_unclosed_front_matter(tree: Path) -> None:
    write(tree / "tiny-course" / "02-two" / "01-third.md", "")
    write(tree / "tiny-course" / "02-two" / "module.md", "---\nid: m-two\n")
    # The module's items are unknown, yet its files are still checked in the same pass.
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:1:1: E101 file is empty;"
        " it must start with a '---' front matter block",
        "c/tiny-course/02-two/module.md:1:1: E102 front matter is not closed: add a '---' line after it",
    ]


def test_broken_course_md_still_checks_its_modules(tree: Path) -> None:
    write(tree / "tiny-course" / "course.md", "---\nid: [tiny\n---\n")
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(third, "---\nid: l-three\ntitle: T\ntitel: x\n---\n## Итоги\n")
    result = load_tree(tree, display_prefix="c")
    assert lines(result.problems) == [
        "c/tiny-course/02-two/01-third.md:4:1: E106",
        "c/tiny-course/course.md:3:1: E100",
    ]
    assert result.courses == []


def test_links_and_anchors_are_checked_against_the_current_tree(tree: Path) -> None:
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(third, third.read_text(encoding="utf-8").replace("## Итоги", "## Выводы"))
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/01-one/01-first.md:9:50: W301 anchor '#итоги' not found in 02-two/01-third.md",
    ]
    write(
        tree / "tiny-course" / "02-two" / "module.md", "---\nid: m-two\ntitle: T\nitems: [02-new.md]\n---\n"
    )
    third.rename(tree / "tiny-course" / "02-two" / "02-new.md")
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/01-one/01-first.md:9:50: E301 broken link '../02-two/01-third.md#итоги':"
        " 02-two/01-third.md does not exist",
    ]
    write(tree / "tiny-course" / "02-two" / "01-third.md", "---\nid: x\ntitle: X\n---\nUnlisted.\n")
    assert [p.message for p in load_tree(tree, display_prefix="c").problems] == [
        "broken link '../02-two/01-third.md#итоги': 02-two/01-third.md is not listed in any module's items",
        "file '01-third.md' is not listed in items",
    ]


def test_cache_hit_skips_markdown_and_bleach(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_tree(tree)
    cache = dict(first.rendered)

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered although cached")

    monkeypatch.setattr(markdown, "Markdown", boom)
    monkeypatch.setattr(render_module, "_clean", boom)
    second = load_tree(tree, cache=cache)
    assert second.problems == []
    assert second.courses == first.courses
    assert second.rendered == first.rendered
    with pytest.raises(AssertionError, match="rendered although cached"):
        load_tree(tree)


def test_cache_rebuilt_from_stored_columns_still_checks_links(tree: Path) -> None:
    """A cache rebuilt from html/toc/links/images only (as the SQL sync stores it) is enough."""
    first = load_tree(tree)
    cache = {
        key: Rendered(
            html=r.html,
            toc=r.toc,
            links=[LinkRef(x.target, x.line, x.col) for x in r.links],
            images=[LinkRef(x.target, x.line, x.col) for x in r.images],
        )
        for key, r in first.rendered.items()
    }
    assert load_tree(tree, cache=cache).problems == []
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    (tree / "tiny-course" / "01-one" / "img" / "dot.png").unlink()
    write(third, third.read_text(encoding="utf-8").replace("## Итоги", "## Выводы"))
    assert lines(load_tree(tree, cache=cache, display_prefix="c").problems) == [
        "c/tiny-course/01-one/01-first.md:9:50: W301",
        "c/tiny-course/01-one/01-first.md:11:19: E304",
    ]


def test_cache_key_changes_with_the_file(tree: Path) -> None:
    first = load_tree(tree)
    lesson = tree / "tiny-course" / "02-two" / "01-third.md"
    write(lesson, lesson.read_text(encoding="utf-8") + "\nНовый абзац.\n")
    second = load_tree(tree, cache=first.rendered)
    old, new = first.courses[0].modules[1].lessons[0], second.courses[0].modules[1].lessons[0]
    assert old.render_key != new.render_key and "Новый абзац." in new.html


def test_reimporting_500_unchanged_lessons_renders_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-import cost is Markdown rendering; with the cache an unchanged tree renders nothing, and
    one changed lesson renders exactly once (its time is measured in bench/import_content.py)."""
    course = tmp_path / "big"
    course.mkdir()
    modules = [f"m{m:02d}" for m in range(10)]
    write(
        course / "course.md",
        "---\nid: big\ntitle: Big\nsummary: S\nmodules: [" + ", ".join(modules) + "]\n---\n",
    )
    body = (
        "## Раздел\n\n"
        + "Текст урока [ссылка](l00.md#раздел). " * 40
        + "\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    for m, name in enumerate(modules):
        (course / name).mkdir()
        items = [f"l{i:02d}.md" for i in range(50)]
        write(course / name / "module.md", f"---\nid: {name}\ntitle: M\nitems: [{', '.join(items)}]\n---\n")
        for i, item in enumerate(items):
            write(course / name / item, f"---\nid: l-{m}-{i}\ntitle: Урок {i}\nminutes: 5\n---\n{body}")
    first = load_tree(tmp_path)
    assert first.problems == [] and sum(len(m.lessons) for m in first.courses[0].modules) == 500

    rendered_bodies: list[str] = []
    real_render = loader_module.render_markdown

    def counting_render(body: str, **kwargs: object) -> Rendered:
        rendered_bodies.append(body)
        return real_render(body, **kwargs)

    monkeypatch.setattr(loader_module, "render_markdown", counting_render)
    second = load_tree(tmp_path, cache=first.rendered)
    assert second.problems == [] and rendered_bodies == []

    changed = course / "m03" / "l07.md"
    write(changed, changed.read_text(encoding="utf-8") + "\nНовый абзац.\n")
    third = load_tree(tmp_path, cache=second.rendered)
    assert third.problems == [] and len(rendered_bodies) == 1 and "Новый абзац." in rendered_bodies[0]


def test_item_kinds_registry_validates_extra_keys(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_kind = replace(ITEM_KINDS["lesson"], name="survey", fields={"pass_percent": Field(whole_number)})
    monkeypatch.setitem(ITEM_KINDS, "survey", survey_kind)
    lesson = tree / "tiny-course" / "02-two" / "01-third.md"
    text = lesson.read_text(encoding="utf-8")
    write(lesson, text.replace("title: Третий урок", "title: Т\ntype: survey\npass_percent: 80"))
    result = load_tree(tree)
    assert result.problems == []
    survey = result.courses[0].modules[1].lessons[0]
    assert survey.kind == "survey" and survey.front_matter["pass_percent"] == 80
    write(lesson, text.replace("title: Третий урок", "title: Т\npass_percent: 80"))
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:4:1: E106 unknown key 'pass_percent'"
    ]


def test_render_file_matches_the_import(tree: Path) -> None:
    lesson = load_tree(tree).courses[0].modules[0].lessons[0]
    assert render_file(tree / "tiny-course" / "01-one" / "01-first.md") == lesson.html
    assert (
        render_file(GOOD / "tiny-course" / "course.md")
        == "<p>Введение в <strong>крошечный</strong> курс.</p>"
    )


def test_render_file_outside_a_course_and_without_front_matter(tmp_path: Path) -> None:
    loose = tmp_path / "note.md"
    write(loose, "# Заметка\n\n[a](b.md) <script>alert(1)</script>\n")
    assert render_file(loose) == '<h1 id="content-заметка">Заметка</h1>\n<p><a href="b.md">a</a> </p>'
    loose.write_bytes(b"---\ntitle: x\n---\n\xff")
    with pytest.raises(ContentError, match=r"note.md:4:1: E104"):
        render_file(loose)


def test_load_result_properties() -> None:
    warning = Problem("p", 1, 1, "W101", "w", "warning")
    error = Problem("p", 2, 1, "E101", "e", "error")
    result = LoadResult(courses=[], problems=[warning, error])
    assert result.errors == [error] and result.warnings == [warning]
    assert str(error) == "p:2:1: E101 e"
    assert str(ContentError([warning, error])) == "p:1:1: W101 w\np:2:1: E101 e"


def test_line_separators_in_front_matter_are_spaces_and_keep_positions(tree: Path) -> None:
    # YAML ends a line at U+2028 (and U+0085, U+2029); editors and every other position here do not.
    # A separator pasted into the title made the next key "not find ':'", lines below the real one.
    lesson = tree / "tiny-course" / "01-one" / "02-second.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace("title: Второй урок", "title: Второй\u2028урок\u2029"), encoding="utf-8")
    result = load_tree(tree, display_prefix="c")
    assert [str(p) for p in result.problems] == [
        "c/tiny-course/01-one/02-second.md:3:14: W104 U+2028 (line separator) in the front matter is read"
        " as a space (2 such characters); type a space or a new line instead"
    ]
    assert result.courses[0].modules[0].lessons[1].title == "Второй урок"
    lesson.write_text(
        text.replace("title: Второй урок", "title: Второй\x85урок").replace("complete: view", "complete: [x"),
        encoding="utf-8",
    )
    assert lines(load_tree(tree, display_prefix="c").problems) == [
        "c/tiny-course/01-one/02-second.md:3:14: W104",
        "c/tiny-course/01-one/02-second.md:5:1: E100",
    ]


def test_an_item_type_that_is_not_text_is_reported_once_without_its_value(tree: Path) -> None:
    # Each level of aliases repeats the one before nine times: this `type` reads as a list whose
    # repr is 300,000 characters, and one more line per level multiplies that by nine.
    levels = ["&a [x, x, x, x, x, x, x, x, x]"]
    for before, name in zip("abcd", "bcde", strict=True):
        levels.append(f"&{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(third, f"---\nid: l-three\ntitle: T\ntype: [{', '.join(levels)}]\n---\n## Итоги\n")
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:4:7: E108 'type' must be text"
    ]
    write(third, "---\nid: l-three\ntitle: T\ntype: 12\n---\n## Итоги\n")
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:4:7: E209 unknown item type '12'"
        " (known: assignment, lesson, quiz, scenario, survey)"
    ]


def test_minutes_fit_a_database_integer(tree: Path) -> None:
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(third, "---\nid: l-three\ntitle: T\nminutes: 2147483648\n---\n## Итоги\n")
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:4:10: E108 'minutes' is too large: at most 2147483647"
    ]
    write(third, "---\nid: l-three\ntitle: T\nminutes: 2147483647\n---\n## Итоги\n")
    assert load_tree(tree, display_prefix="c").problems == []


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (".nan", "must be a number of 0 or more"),
        (".inf", "is too large: at most 2147483647"),
        # An int no float holds: float() of it raised out of the loader, a traceback for the author.
        ("1" + "0" * 400, "is too large: at most 2147483647"),
    ],
)
def test_estimated_hours_is_a_finite_number(tree: Path, written: str, message: str) -> None:
    course = tree / "tiny-course" / "course.md"
    write(
        course,
        course.read_text(encoding="utf-8").replace("estimated_hours: 1.5", f"estimated_hours: {written}"),
    )
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        f"c/tiny-course/course.md:6:18: E108 'estimated_hours' {message}"
    ]


def test_an_escaped_nul_in_front_matter_text_is_an_error(tree: Path) -> None:
    # PostgreSQL refuses NUL in text: this title made the import stop with a traceback.
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(third, '---\nid: l-three\ntitle: "Итоги\\0"\nsummary: "\\x00"\n---\n## Итоги\n')
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:3:8: E108 'title' must not contain a NUL character (\\0)",
        "c/tiny-course/02-two/01-third.md:4:10: E108 'summary' must not contain a NUL character (\\0)",
    ]


def test_titles_and_audience_fit_their_columns(tree: Path) -> None:
    # Three hundred characters is what PostgreSQL stores; past it the import stopped with a traceback.
    course = tree / "tiny-course" / "course.md"
    text = course.read_text(encoding="utf-8")
    write(course, text.replace("audience: Разработчики", "audience: " + "а" * 301))
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(third, "---\nid: l-three\ntitle: " + "Я" * 301 + "\n---\n## Итоги\n")
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:3:8: E108 'title' is too long: at most 300 characters"
        " (this one has 301)",
        "c/tiny-course/course.md:5:11: E108 'audience' is too long: at most 300 characters"
        " (this one has 301)",
    ]
    write(course, text.replace("audience: Разработчики", "audience: " + "а" * 300))
    write(third, "---\nid: l-three\ntitle: " + "Я" * 300 + "\n---\n## Итоги\n")
    assert load_tree(tree, display_prefix="c").problems == []


def test_a_symlink_leading_outside_the_courses_folder_is_refused(tree: Path, tmp_path: Path) -> None:
    # A committed symlink to a server file was read and imported as a lesson (or its picture left
    # out with no word): every file, folder and image of the tree must lead inside it.
    outside = tmp_path / "outside"
    (outside / "m").mkdir(parents=True)
    write(outside / "secret.md", "---\nid: l-three\ntitle: Секрет\n---\nroot:x:0:0\n")
    write(outside / "m" / "module.md", "---\nid: m-two\ntitle: Модуль\nitems: [01-third.md]\n---\n")
    write(outside / "m" / "01-third.md", "---\nid: l-three\ntitle: Секрет\n---\nroot:x:0:0\n")
    (outside / "dot.png").write_bytes(b"\x89PNG")
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    third.unlink()
    third.symlink_to(outside / "secret.md")
    image = tree / "tiny-course" / "01-one" / "img" / "dot.png"
    image.unlink()
    image.symlink_to(outside / "dot.png")
    result = load_tree(tree, display_prefix="c")
    assert [str(p) for p in result.problems if p.is_error] == [
        "c/tiny-course/01-one/01-first.md:11:19: E215 image 01-one/img/dot.png is a symlink leading"
        " outside the courses folder",
        "c/tiny-course/02-two/01-third.md:1:1: E215 a symlink leading outside the folder being"
        " imported: not read (copy the file in)",
    ]
    assert result.courses == []
    # A whole module folder linked from outside: its files lead out too.
    third.unlink()
    image.unlink()
    shutil.copy(GOOD / "tiny-course" / "01-one" / "img" / "dot.png", image)
    shutil.rmtree(tree / "tiny-course" / "02-two")
    (tree / "tiny-course" / "02-two").symlink_to(outside / "m", target_is_directory=True)
    assert lines(load_tree(tree, display_prefix="c").errors) == [
        "c/tiny-course/02-two/01-third.md:1:1: E215",
        "c/tiny-course/02-two/module.md:1:1: E215",
    ]


def test_a_symlink_staying_inside_the_courses_folder_is_read(tree: Path) -> None:
    shared = tree / "shared"
    (tree / "tiny-course" / "02-two").rename(shared)
    (tree / "tiny-course" / "02-two").symlink_to(shared, target_is_directory=True)
    image = tree / "tiny-course" / "01-one" / "img" / "dot.png"
    image.rename(tree / "dot.png")
    image.symlink_to(tree / "dot.png")
    result = load_tree(tree, display_prefix="c")
    assert result.errors == []
    assert [lesson.id for module in result.courses[0].modules for lesson in module.lessons] == [
        "l-one",
        "l-two",
        "l-three",
    ]


def _rename_module(tree: Path, old: str, new: str) -> None:
    course = tree / "tiny-course"
    (course / old).rename(course / new)
    for path in (course / "course.md", course / "01-one" / "01-first.md"):
        path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")


def test_folder_and_file_names_fit_their_columns(tree: Path) -> None:
    # A module folder is stored in 200 characters, a file's path from the courses folder and an
    # image's from its course folder in 500: past them PostgreSQL stopped the import with a traceback.
    _rename_module(tree, "02-two", "m" * 201)
    image = tree / "tiny-course" / "01-one" / ("i" * 250) / ("p" * 240 + ".png")
    image.parent.mkdir()
    shutil.copy(tree / "tiny-course" / "01-one" / "img" / "dot.png", image)
    first = tree / "tiny-course" / "01-one" / "01-first.md"
    write(first, first.read_text("utf-8").replace("img/dot.png", f"{'i' * 250}/{'p' * 240}.png"))
    # (The link into the refused module is broken too.)
    assert [str(p) for p in load_tree(tree, display_prefix="c").errors if p.code == "E216"] == [
        f"c/tiny-course/01-one/01-first.md:11:19: E216 the path 01-one/{'i' * 250}/{'p' * 240}.png is too"
        " long: at most 500 characters (this one has 502)",
        f"c/tiny-course/course.md:9:5: E216 module folder name '{'m' * 201}' is too long: at most 200"
        " characters (this one has 201)",
    ]
    _rename_module(tree, "m" * 201, "m" * 200)
    shutil.rmtree(image.parent)
    write(first, first.read_text("utf-8").replace(f"{'i' * 250}/{'p' * 240}.png", "img/dot.png"))
    assert load_tree(tree).errors == []
    (tree / "tiny-course").rename(tree / ("c" * 200))
    module = tree / ("c" * 200) / ("m" * 200)
    (module / "01-third.md").rename(module / ("l" * 96 + ".md"))
    write(
        module / "module.md",
        (module / "module.md").read_text("utf-8").replace("01-third.md", "l" * 96 + ".md"),
    )
    first = tree / ("c" * 200) / "01-one" / "01-first.md"
    write(first, first.read_text("utf-8").replace("01-third.md", "l" * 96 + ".md"))
    assert [str(p) for p in load_tree(tree, display_prefix="c").errors if p.code == "E216"] == [
        f"c/{'c' * 200}/{'m' * 200}/module.md:5:5: E216 '{'l' * 96}.md' makes the path"
        f" {'c' * 200}/{'m' * 200}/{'l' * 96}.md too long: at most 500 characters (this one has 501)"
    ]
    (tree / ("c" * 200)).rename(tree / ("c" * 201))
    assert (
        f"c/{'c' * 201}/course.md:1:1: E216 the course folder's name is too long: at most 200 characters"
        " (this one has 201)" in [str(p) for p in load_tree(tree, display_prefix="c").errors]
    )


def test_control_characters_in_front_matter_text_are_errors(tree: Path) -> None:
    # YAML makes them of escapes in double quotes; a certificate printed nothing for them and a
    # spreadsheet showed `_x001B_`. Tabs and new lines stay.
    third = tree / "tiny-course" / "02-two" / "01-third.md"
    write(
        third,
        '---\nid: l-three\ntitle: "\\e[31mИтоги"\nsummary: "строка\\u2028строка"\n---\n## Итоги\n',
    )
    course = tree / "tiny-course" / "course.md"
    write(course, course.read_text("utf-8").replace("audience: Разработчики", 'audience: "а\\x85б\\x7f"'))
    assert [str(p) for p in load_tree(tree, display_prefix="c").problems] == [
        "c/tiny-course/02-two/01-third.md:3:8: E108 'title' must not contain control characters"
        " (U+001B here)",
        "c/tiny-course/02-two/01-third.md:4:10: E108 'summary' must not contain control characters"
        " (U+2028 here)",
        "c/tiny-course/course.md:5:11: E108 'audience' must not contain control characters (U+0085 here)",
    ]
    write(third, '---\nid: l-three\ntitle: "Итоги\\tи выводы"\nsummary: "строка\\nстрока"\n---\n## Итоги\n')
    write(course, course.read_text("utf-8").replace('"а\\x85б\\x7f"', "Разработчики"))
    assert load_tree(tree).problems == []


def test_messages_say_what_is_really_wrong(tree: Path) -> None:
    # A second BOM was "missing front matter", an empty type "unknown item type ''", a folder
    # listed in items (or a file in modules) "not found".
    second = tree / "tiny-course" / "01-one" / "02-second.md"
    second.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + second.read_bytes())
    write(
        tree / "tiny-course" / "02-two" / "01-third.md", "---\nid: l-three\ntitle: Итоги\ntype:\n---\nТекст\n"
    )
    (tree / "tiny-course" / "02-two" / "02-folder.md").mkdir()
    module = tree / "tiny-course" / "02-two" / "module.md"
    write(
        module, module.read_text("utf-8").replace("  - 01-third.md\n", "  - 01-third.md\n  - 02-folder.md\n")
    )
    write(tree / "tiny-course" / "notes", "")
    course = tree / "tiny-course" / "course.md"
    write(course, course.read_text("utf-8").replace("  - 02-two\n", "  - 02-two\n  - notes\n"))
    known = ", ".join(sorted(ITEM_KINDS))
    assert [str(p) for p in load_tree(tree, display_prefix="c").errors] == [
        "c/tiny-course/01-one/02-second.md:1:1: E104 file starts with 2 byte order marks (U+FEFF); save it"
        " as UTF-8 with one at most",
        f"c/tiny-course/02-two/01-third.md:4:6: E209 'type' is empty: leave it out for a lesson, or write"
        f" one of: {known}",
        "c/tiny-course/02-two/module.md:6:5: E206 '02-folder.md' is a folder, not an item file",
        "c/tiny-course/course.md:10:5: E204 'notes' is a file, not a module folder",
    ]

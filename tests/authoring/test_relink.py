"""The pure rewrite of relative link targets when a file moves: the moved file's own targets follow
it to its new folder, other files' links to it point at its new path; everything else is kept."""

from __future__ import annotations

import pytest

from lms.authoring.relink import relink

OLD, NEW = "01-one/02-second.md", "02-two/02-second.md"
MOVES = {OLD: NEW}


def moved(body: str) -> str:
    """The body of the moved file (01-one -> 02-two) after the rewrite."""
    return relink(body, doc_dir="01-one", new_doc_dir="02-two", moves=MOVES)


def other(body: str, folder: str = "02-two") -> str:
    """The body of a file that stays in `folder`, after the rewrite."""
    return relink(body, doc_dir=folder, new_doc_dir=folder, moves=MOVES)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("[a](01-first.md)", "[a](../01-one/01-first.md)"),
        ("![Точка](img/dot.png)", "![Точка](../01-one/img/dot.png)"),
        ('[a](01-first.md "Заголовок")', '[a](../01-one/01-first.md "Заголовок")'),
        ("[a](<01-first.md> 'T')", "[a](<../01-one/01-first.md> 'T')"),
        ("[a](<my file.md>)", "[a](<../01-one/my file.md>)"),
        ("[a](01-first.md#итоги)", "[a](../01-one/01-first.md#итоги)"),
        ("[a](files/a.pdf?v=2#page=3)", "[a](../01-one/files/a.pdf?v=2#page=3)"),
        ("[a](../02-two/01-third.md#x)", "[a](01-third.md#x)"),
        ("[a](../course.md)", "[a](../course.md)"),
        ("[a](./01-first.md)", "[a](../01-one/01-first.md)"),
        ("[a][r]\n\n[r]: 01-first.md", "[a][r]\n\n[r]: ../01-one/01-first.md"),
        ('[a][r]\n\n[r]: <img/dot.png> "T"', '[a][r]\n\n[r]: <../01-one/img/dot.png> "T"'),
        ('<img src="img/dot.png" alt="x">', '<img src="../01-one/img/dot.png" alt="x">'),
        ("<a href='01-first.md#a'>a</a>", "<a href='../01-one/01-first.md#a'>a</a>"),
        ("<a href=01-first.md>a</a>", "<a href=../01-one/01-first.md>a</a>"),
        ("![Карта](картинки/карта.png)", "![Карта](../01-one/картинки/карта.png)"),
        (
            "![Карта](%D0%BA%D0%B0%D1%80%D1%82%D0%B0.png)",
            "![Карта](../01-one/%D0%BA%D0%B0%D1%80%D1%82%D0%B0.png)",
        ),
        ("[a](my%20file.md)", "[a](../01-one/my%20file.md)"),
    ],
)
def test_the_moved_files_own_targets_follow_it_to_its_new_folder(before, after):
    assert moved(before) == after


@pytest.mark.parametrize(
    "body",
    [
        "[a](https://example.org/x.md)",
        "[a](//example.org/x.md)",
        "[a](/01-one/01-first.md)",
        "[a](#итоги)",
        "[a](?q=1)",
        "[a](mailto:a@example.org)",
        "[a](../../other-course/x.md)",  # outside the course: lint reports it, the move does not guess
        "`[a](01-first.md)`",
        "```\n![x](img/dot.png)\n```",
    ],
)
def test_other_targets_and_code_stay_as_written(body):
    assert moved(body) == body


def test_a_code_span_beside_a_link_is_untouched():
    body = "See [a](01-first.md), not `[b](01-first.md)`."
    assert moved(body) == "See [a](../01-one/01-first.md), not `[b](01-first.md)`."


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("[себя](02-second.md#сроки)", "[себя](02-second.md#сроки)"),
        ("[себя](../01-one/02-second.md#сроки)", "[себя](02-second.md#сроки)"),
        ("[a][r]\n\n[r]: 02-second.md", "[a][r]\n\n[r]: 02-second.md"),
    ],
)
def test_a_link_to_the_moved_file_itself_still_points_at_it(before, after):
    assert moved(before) == after


@pytest.mark.parametrize(
    ("folder", "before", "after"),
    [
        ("02-two", "[b](../01-one/02-second.md#сроки)", "[b](02-second.md#сроки)"),
        ("01-one", "[b](02-second.md)", "[b](../02-two/02-second.md)"),
        ("01-one", "[b](./02-second.md?x=1#a)", "[b](../02-two/02-second.md?x=1#a)"),
        ("", "[b](01-one/02-second.md)", "[b](02-two/02-second.md)"),
        ("01-one", "[b][r]\n\n[r]: <02-second.md>", "[b][r]\n\n[r]: <../02-two/02-second.md>"),
        ("01-one", '<a href="02-second.md#a">b</a>', '<a href="../02-two/02-second.md#a">b</a>'),
    ],
)
def test_other_files_links_to_the_old_path_point_at_the_new_one(folder, before, after):
    assert other(before, folder) == after


def test_other_files_keep_their_other_targets_exactly_as_written():
    body = "[a](./01-first.md) ![b](img/../img/dot.png) [c](01-first.md#x) `[d](02-second.md)`"
    assert other(body, "01-one") == body


def test_cyrillic_and_percent_encoded_names_of_the_moved_file():
    moves = {"01-один/урок.md": "02-два/урок.md"}
    encoded = "[a](../01-%D0%BE%D0%B4%D0%B8%D0%BD/%D1%83%D1%80%D0%BE%D0%BA.md)"
    stays = relink(encoded, doc_dir="03-три", new_doc_dir="03-три", moves=moves)
    assert stays == "[a](../02-%D0%B4%D0%B2%D0%B0/%D1%83%D1%80%D0%BE%D0%BA.md)"
    plain = relink("[a](урок.md#итоги)", doc_dir="01-один", new_doc_dir="01-один", moves=moves)
    assert plain == "[a](../02-два/урок.md#итоги)"


def test_a_new_folder_name_with_a_space_is_encoded_outside_angle_brackets():
    body = "![a](img/dot.png)"
    assert relink(body, doc_dir="01-one", new_doc_dir="my module", moves={}) == "![a](../01-one/img/dot.png)"
    back = relink("![a](../my%20module/x.png)", doc_dir="01-one", new_doc_dir="02-two", moves={})
    assert back == "![a](../my%20module/x.png)"
    into = relink("![a](x.png)", doc_dir="my module", new_doc_dir="02-two", moves={})
    assert into == "![a](../my%20module/x.png)"


def test_every_occurrence_is_rewritten_from_the_end_so_offsets_hold():
    body = "[a](img/dot.png) и [b](01-first.md) и ещё ![c](img/dot.png)\n\n[r]: 01-first.md\n"
    assert moved(body) == (
        "[a](../01-one/img/dot.png) и [b](../01-one/01-first.md) и ещё ![c](../01-one/img/dot.png)"
        "\n\n[r]: ../01-one/01-first.md\n"
    )


def test_a_target_written_with_an_escape_or_an_entity_is_left_for_lint():
    """The scanner reports such a target unescaped; the text at its offset differs, so no guess."""
    assert moved(r"![a](img/dot\_x.png)") == r"![a](img/dot\_x.png)"
    assert moved('<img src="img/dot&#46;png" alt="a">') == '<img src="img/dot&#46;png" alt="a">'


def test_the_front_matter_is_not_the_body():
    text = "---\nid: l-two\nsummary: '[a](01-first.md)'\n---\n[a](01-first.md)\n"
    assert moved(text) == "---\nid: l-two\nsummary: '[a](01-first.md)'\n---\n[a](../01-one/01-first.md)\n"


def test_a_callouts_indented_body_is_text_and_a_comment_is_not():
    body = '!!! note "Запомните"\n    См. [урок](01-first.md).\n\n<!-- [старое](01-first.md) -->\n'
    assert moved(body) == (
        '!!! note "Запомните"\n    См. [урок](../01-one/01-first.md).\n\n<!-- [старое](01-first.md) -->\n'
    )

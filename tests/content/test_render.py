"""The one Markdown pipeline: features, URL rewriting, and that nothing dangerous gets through."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content.render import (
    CourseUrlPolicy,
    LinkRef,
    Rendered,
    html_ids,
    piece_id_prefix,
    render_markdown,
    sanitize_html,
)

PAYLOADS_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "xss_payloads.txt"
PAYLOADS = [
    line.replace("\\n", "\n") for line in PAYLOADS_FILE.read_text(encoding="utf-8").splitlines() if line
]
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "base",
    "meta",
    "link",
    "svg",
    "math",
    "template",
    "noscript",
    "textarea",
    "title",
    "body",
    "select",
    "video",
    "audio",
    "source",
    "marquee",
    "frame",
    "applet",
    "xmp",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Elements(HTMLParser):
    """Every element of an HTML string with its attributes, as a browser-like parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.elements


def url_scheme(value: str) -> str:
    """The scheme a browser would see: `value` is already entity-decoded by the parser."""
    cleaned = re.sub(r"[\x00-\x20\x7f-\xa0\s]+", "", value).lower()
    return urlsplit(cleaned).scheme


def assert_safe(markup: str) -> None:
    for tag, attrs in elements(markup):
        assert tag not in FORBIDDEN_TAGS, (tag, markup)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, markup)
            assert name != "style", markup
            if name in ("href", "src"):
                assert url_scheme(value) in SAFE_SCHEMES | {""}, (value, markup)
    assert "<script" not in markup.lower()  # as text it would read "&lt;script"


def test_payload_corpus_is_large_enough() -> None:
    assert len(PAYLOADS) >= 40


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payload_is_neutralised(payload: str) -> None:
    assert_safe(render_markdown(payload, doc_dir="01", policy=CourseUrlPolicy("c")).html)
    assert_safe(render_markdown(payload).html)
    assert_safe(sanitize_html(payload))


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<SCRIPT>alert(1)</SCRIPT>",
        "<script>alert(1)",
        "<script><!--\nalert(1)//--></script>",
        "<style>alert(1)</style>",
        "<svg><script>alert(1)</script></svg>",
        "<template><script>alert(1)</script></template>",
        "<noscript>alert(1)</noscript>",
        "<textarea>alert(1)</textarea>",
        "<iframe>alert(1)</iframe>",
        "<math><mtext>alert(1)</mtext></math>",
        "<object>alert(1)</object>",
        "text\n\n<script type='text/javascript'>\nvar a = 1;\nalert(1);\n</script>\n\nafter",
    ],
)
def test_script_and_style_bodies_do_not_become_text(payload: str) -> None:
    rendered = render_markdown(payload).html
    assert "alert(" not in rendered
    assert "alert(" not in sanitize_html(payload)


def test_tables_use_align_attributes_not_styles() -> None:
    result = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n").html
    assert '<th align="left">a</th>' in result
    assert '<td align="center">2</td>' in result
    assert '<td align="right">3</td>' in result
    assert "style" not in result


def test_admonitions_keep_their_classes() -> None:
    result = render_markdown('!!! warning "Внимание"\n    Подкуп запрещён.\n').html
    assert '<div class="admonition warning">' in result
    assert '<p class="admonition-title">Внимание</p>' in result


def test_unknown_admonition_kind_loses_only_its_class() -> None:
    result = render_markdown("!!! evil\n    Text.\n").html
    assert "<div>" in result and "Text." in result


def test_headings_get_cyrillic_ids_and_toc_has_h2_h3_only() -> None:
    rendered = render_markdown("# Курс\n\n## Зачем анализ\n\n### Источники данных\n\n#### Детали\n")
    assert '<h2 id="content-зачем-анализ">' in rendered.html
    assert '<h4 id="content-детали">' in rendered.html
    assert rendered.toc == [
        {"level": 2, "id": "content-зачем-анализ", "title": "Зачем анализ"},
        {"level": 3, "id": "content-источники-данных", "title": "Источники данных"},
    ]
    assert html_ids(rendered.html) == ["курс", "зачем-анализ", "источники-данных", "детали"]


def test_toc_title_is_plain_text() -> None:
    rendered = render_markdown("## Финансы & *отчёты*\n")
    assert rendered.toc[0]["title"] == "Финансы & отчёты"


def test_footnotes_definition_lists_and_abbreviations() -> None:
    text = (
        "Текст[^1] про ЦИК.\n\n[^1]: Сноска.\n\nТермин\n:   Определение\n\n"
        "*[ЦИК]: Центральная избирательная комиссия\n"
    )
    result = render_markdown(text).html
    assert '<sup id="content-fnref:1"><a class="footnote-ref" href="#content-fn:1">1</a></sup>' in result
    assert '<div class="footnote">' in result and '<li id="content-fn:1">' in result
    assert 'class="footnote-backref"' in result
    assert "<dl>\n<dt>Термин</dt>\n<dd>Определение</dd>\n</dl>" in result
    assert '<abbr title="Центральная избирательная комиссия">ЦИК</abbr>' in result


def test_fenced_code_is_escaped() -> None:
    result = render_markdown("```python\nprint('<b>')\n```\n").html
    assert "<pre><code>print('&lt;b&gt;')\n</code></pre>" in result


def test_ordered_list_start_is_kept() -> None:
    assert '<ol start="3">' in render_markdown("3. three\n4. four\n").html


def test_lesson_links_and_assets_are_rewritten_with_the_policy() -> None:
    text = (
        "[a](02-b.md#раздел) [b](../02-two/01-x.md) [c](<my file.md>) [d](files/plan.pdf)\n\n"
        "![Карта](img/karta.png) [e](#local) [f](/absolute)\n"
    )
    result = render_markdown(text, doc_dir="01-one", policy=CourseUrlPolicy("osnovy")).html
    assert 'href="/courses/osnovy/go/01-one/02-b.md#content-%D1%80%D0%B0%D0%B7%D0%B4%D0%B5%D0%BB"' in result
    assert 'href="/courses/osnovy/go/02-two/01-x.md"' in result
    assert 'href="/courses/osnovy/go/01-one/my%20file.md"' in result
    assert 'href="/courses/osnovy/assets/01-one/files/plan.pdf"' in result
    assert 'src="/courses/osnovy/assets/01-one/img/karta.png"' in result
    assert 'href="#content-local"' in result and 'href="/absolute"' in result
    assert "target=" not in result


def test_paths_escaping_the_course_are_not_rewritten() -> None:
    text = "[x](../../other/a.md) ![y](../../secret.png) [z](../../outside.pdf)"
    result = render_markdown(text, doc_dir="01", policy=CourseUrlPolicy("c")).html
    assert "<a>x</a>" in result and "<a>z</a>" in result
    assert '<img alt="y">' in result
    assert "secret" not in result and "other" not in result


def test_without_a_policy_relative_urls_stay_as_written() -> None:
    result = render_markdown("[a](b.md#x) ![c](img/d.png)").html
    assert 'href="b.md#x"' in result and 'src="img/d.png"' in result


def test_external_links_open_in_a_new_tab_internal_ones_do_not() -> None:
    text = (
        "[ext](https://example.com/a?b=1&c=2) [mail](mailto:a@example.com) [in](b.md)"
        ' <a href="http://example.org" target="_self" rel="opener">raw</a>'
        ' <a href="b.md" target="_blank">t</a>'
    )
    result = render_markdown(text, policy=CourseUrlPolicy("c")).html
    assert (
        '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">ext</a>'
        in result
    )
    assert '<a href="mailto:a@example.com">mail</a>' in result
    assert '<a href="/courses/c/go/b.md">in</a>' in result
    assert '<a href="http://example.org" target="_blank" rel="noopener noreferrer">raw</a>' in result
    assert '<a href="/courses/c/go/b.md">t</a>' in result


def test_data_and_remote_images() -> None:
    result = render_markdown("![a](data:image/png;base64,AAAA) ![b](https://example.com/x.png)").html
    assert '<img alt="a">' in result
    assert '<img alt="b" src="https://example.com/x.png">' in result


def test_class_allowlist_is_per_tag() -> None:
    result = sanitize_html(
        '<div class="admonition note">a</div><div class="admonition evil">b</div>'
        '<p class="admonition-title">c</p><span class="admonition">d</span><a class="footnote-ref">e</a>'
    )
    assert result == (
        '<div class="admonition note">a</div><div>b</div><p class="admonition-title">c</p>'
        '<span>d</span><a class="footnote-ref">e</a>'
    )


def test_allowed_attributes_survive_and_others_go() -> None:
    result = sanitize_html(
        '<img src="a.png" alt="A" width="10" height="x" loading="lazy"><td colspan="2" align="justify">t</td>'
        '<ol start="2" reversed><li id="fn:1">x</li></ol><h3 id="h" class="big">H</h3>'
    )
    assert '<img src="a.png" alt="A" width="10">' in result
    assert '<ol start="2"><li id="content-fn:1">x</li></ol>' in result
    assert '<h3 id="content-h">H</h3>' in result


def test_links_and_images_carry_their_source_positions() -> None:
    text = (
        "# T\n\n"
        "See [one](a.md#x) and ![pic](img/p.png).\n"
        "`[code](skip.md)` and [ref][r].\n\n"
        "```\n[fenced](skip2.md)\n```\n"
        '<img src="raw.png" alt="r"> [pdf](doc.pdf) [ext](https://example.com)\n\n'
        '[r]: <bc.md> "Title"\n'
    )
    rendered = render_markdown(text)
    assert rendered.links == [LinkRef("a.md#x", 3, 11), LinkRef("bc.md", 11, 7)]
    assert rendered.images == [LinkRef("img/p.png", 3, 30, alt="pic"), LinkRef("raw.png", 9, 11, alt="r")]
    assert rendered.files == [LinkRef("doc.pdf", 9, 35)]


def test_links_inside_admonitions_and_lists_are_found() -> None:
    text = "!!! note\n    See [a](a.md).\n\n- item [b](b.md)\n    continued [c](c.md)\n"
    assert render_markdown(text).links == [
        LinkRef("a.md", 2, 13),
        LinkRef("b.md", 4, 12),
        LinkRef("c.md", 5, 19),
    ]


def test_output_is_stable() -> None:
    text = "## Раз\n\nТекст[^1] [a](b.md#x) ![i](i.png)\n\n[^1]: Сноска\n\n| a |\n|---|\n| 1 |\n"
    first = render_markdown(text, doc_dir="m", policy=CourseUrlPolicy("c"))
    second = render_markdown(text, doc_dir="m", policy=CourseUrlPolicy("c"))
    assert first == second


def test_rendered_round_trips_through_plain_data() -> None:
    rendered = render_markdown("## A\n\n[a](b.md) ![i](i.png) [f](f.pdf)")
    assert Rendered.from_dict(rendered.to_dict()) == rendered


FRAGMENTS = [
    "<script>",
    "</script>",
    "<img",
    " src=",
    " onerror=",
    "alert(1)",
    "javascript:",
    "jav&#x09;ascript:",
    "&colon;",
    "<svg",
    "<math>",
    "<style>",
    "<a href=",
    "data:text/html,",
    '"',
    "'",
    ">",
    "<",
    "/",
    "](",
    "[",
    "]",
    "!",
    "(",
    ")",
    "\n",
    "    ",
    "```",
    "!!! note ",
    "<!--",
    "-->",
    "`",
    "|",
    "---",
    "<iframe",
    " style=",
    "vbscript:",
    "<noscript>",
    "<template>",
    "<textarea>",
    "&#106;",
    "\t",
    "[^1]",
    ": ",
    "<details open ontoggle=",
    "<base href=",
    "<form>",
    "x",
    " ",
    "=",
    "&",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=40))
def test_random_markup_never_yields_forbidden_html(parts: list[str]) -> None:
    text = "".join(parts)
    assert_safe(render_markdown(text, doc_dir="d", policy=CourseUrlPolicy("c")).html)
    assert_safe(sanitize_html(text))


def test_content_ids_and_the_fragments_naming_them_carry_one_prefix() -> None:
    """Content shares the page with forms and scripts: none of its ids may be one of theirs."""
    text = (
        "## Main\n\nBack to [the top](#main), on to [a lesson](other.md#main), [home](#).\n\n"
        '<a id="csrf_token">x</a> <h3 id="quiz-form">Q</h3>\n'
    )
    rendered = render_markdown(text, doc_dir="m", policy=CourseUrlPolicy("c"))
    assert '<h2 id="content-main">Main</h2>' in rendered.html
    assert '<a href="#content-main">the top</a>' in rendered.html
    assert '<a href="/courses/c/go/m/other.md#content-main">a lesson</a>' in rendered.html
    assert '<a href="#">home</a>' in rendered.html
    assert '<a id="content-csrf_token">x</a>' in rendered.html
    assert '<h3 id="content-quiz-form">Q</h3>' in rendered.html
    assert rendered.toc == [{"level": 2, "id": "content-main", "title": "Main"}]
    # The link checker compares anchors as authors write them.
    assert html_ids(rendered.html) == ["main", "csrf_token", "quiz-form"]


def test_a_piece_links_its_own_ids_and_else_the_page_s_main_text() -> None:
    # A question shown among others keeps its footnote to itself, and its link to a heading of
    # the quiz's introduction (rendered with the plain prefix) still finds that heading.
    text = (
        "См. [правила](#правила) и [сноску](#fn:1), [Раздел](#%D1%80%D0%B0%D0%B7%D0%B4%D0%B5%D0%BB)[^1]."
        "\n\n[^1]: Ст. 56.\n"
    )
    result = render_markdown(text, id_prefix=piece_id_prefix("q1-prompt")).html
    assert 'href="#content-правила"' in result
    assert 'href="#content-%D1%80%D0%B0%D0%B7%D0%B4%D0%B5%D0%BB"' in result
    assert 'href="#content-q1-prompt-fn:1"' in result and result.count('href="#content-q1-prompt-fn:1"') == 2
    assert '<li id="content-q1-prompt-fn:1">' in result
    own = render_markdown("## Итоги\n\n[к итогам](#итоги)\n", id_prefix=piece_id_prefix("s1")).html
    assert '<h2 id="content-s1-итоги">' in own and 'href="#content-s1-итоги"' in own

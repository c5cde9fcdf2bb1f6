"""The `{% cache %}` tag, and the pages that use it showing changed content at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment, TemplateSyntaxError
from markupsafe import Markup

from lms.content.sync import sync_tree
from lms.core import fragments
from lms.core.fragments import FragmentCache
from lms.extensions import db


def environment(templates: dict[str, str]) -> Environment:
    return Environment(loader=DictLoader(templates), extensions=[FragmentCache], autoescape=True)


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, value: str) -> str:
        self.calls += 1
        return value


def test_a_block_renders_once_per_key_and_escapes_once():
    env = environment({"page": "{% cache key %}<b>{{ count(text) }}</b>{% endcache %}|{{ text }}"})
    count = Counter()
    page = env.get_template("page")
    first = page.render(key=1, text="<i>", count=count)
    again = page.render(key=1, text="<i>", count=count)
    other = page.render(key=2, text="&", count=count)
    assert first == again == "<b>&lt;i&gt;</b>|&lt;i&gt;"
    assert other == "<b>&amp;</b>|&amp;"
    assert count.calls == 2


def test_key_parts_are_compared_as_values_not_joined_into_text():
    env = environment({"page": "{% cache a, b %}{{ count(a ~ '/' ~ b) }}{% endcache %}"})
    count = Counter()
    page = env.get_template("page")
    assert page.render(a="1_2", b="3", count=count) == "1_2/3"
    assert page.render(a="1", b="2_3", count=count) == "1/2_3"
    assert count.calls == 2


def test_two_blocks_with_the_same_key_keep_their_own_entries():
    env = environment({"page": "{% cache 'k' %}first{% endcache %} {% cache 'k' %}second{% endcache %}"})
    assert env.get_template("page").render() == "first second"
    assert all(isinstance(html, Markup) for html in env.fragments.values())


def test_the_cache_is_bounded_in_entries_and_in_text(monkeypatch):
    monkeypatch.setattr(fragments, "MAX_FRAGMENTS", 3)
    env = environment({"page": "{% cache key %}{{ text }}{% endcache %}"})
    page = env.get_template("page")
    for key in range(10):
        assert page.render(key=key, text=str(key)) == str(key)
    assert [key[-1] for key in env.fragments] == [7, 8, 9]  # the oldest left first

    monkeypatch.setattr(fragments, "MAX_CHARACTERS", 25)
    assert page.render(key="long", text="x" * 20) == "x" * 20
    assert [key[-1] for key in env.fragments] == [8, 9, "long"]
    assert page.render(key="too long", text="y" * 30) == "y" * 30  # served, just not kept
    assert list(env.fragments) == []


def test_a_template_without_a_key_is_a_syntax_error():
    env = environment({"page": "{% cache %}x{% endcache %}"})
    with pytest.raises(TemplateSyntaxError):
        env.get_template("page")


# The pages: cached parts must follow the content and the language, never lag behind them.

LESSON = "/courses/tiny-course/lessons/l-one"


def reimport(courses_dir: Path, path: str, old: str, new: str) -> None:
    file = courses_dir / "tiny-course" / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")
    db.session.rollback()
    sync_tree(courses_dir)
    db.session.commit()


@pytest.mark.parametrize(
    ("path", "old", "new", "shown_before", "shown_after"),
    [
        # the lesson's own text (its rendering key changes)
        (
            "01-one/01-first.md",
            "## Зачем анализ",
            "## Зачем считать голоса",
            "Зачем анализ",
            "Зачем считать голоса",
        ),
        # its module's title, in the breadcrumbs (the module's stamp changes)
        (
            "01-one/module.md",
            "title: Первый модуль",
            "title: Вводный модуль",
            "Первый модуль",
            "Вводный модуль",
        ),
        # only the next lesson's title, in the pager (the course's stamp changes, the page's lesson does not)
        (
            "01-one/02-second.md",
            "title: Второй урок",
            "title: Сроки и шаги",
            "Второй урок →",
            "Сроки и шаги →",
        ),
    ],
    ids=["lesson-text", "module-title", "neighbour-title"],
)
def test_changed_content_shows_at_once(
    client, auth, imported, make_user, courses_dir, path, old, new, shown_before, shown_after
):
    make_user("anna")
    auth.login("anna")
    assert shown_before in client.get(LESSON).get_data(as_text=True)
    reimport(courses_dir, path, old, new)
    html = client.get(LESSON).get_data(as_text=True)
    assert shown_after in html and shown_before not in html


def test_cached_parts_follow_the_language(client, auth, imported, make_user):
    make_user("anna")
    auth.login("anna")
    russian = client.get(LESSON).get_data(as_text=True)
    assert "10 мин" in russian and "10 min read" not in russian
    auth.post("/language/en", {"next": LESSON}, page=LESSON)
    english = client.get(LESSON).get_data(as_text=True)
    assert "10 min read" in english and 'aria-label="Lessons"' in english
    assert 'aria-label="Main"' in english and "My courses" in english


def test_the_menu_is_cached_per_role_and_marks_the_current_section(app, imported, make_user):
    from tests.conftest import AuthActions

    make_user("anna")
    make_user("boss", role="admin")
    admin, candidate = app.test_client(), app.test_client()
    AuthActions(admin).login("boss")
    AuthActions(candidate).login("anna")
    admin_home = admin.get("/").get_data(as_text=True)
    candidate_home = candidate.get("/").get_data(as_text=True)
    assert "/dashboard" in nav(admin_home) and "/dashboard" not in nav(candidate_home)
    assert re.search(r'href="/"\s+aria-current="page"', nav(candidate_home))
    assert 'aria-current="page"' not in nav(candidate.get(LESSON).get_data(as_text=True))
    dashboard = admin.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'href="/dashboard/"\s+aria-current="page"', nav(dashboard))


def nav(html: str) -> str:
    return re.search(r'<nav aria-label="[^"]*" class="main-nav">.*?</nav>', html, re.S).group(0)

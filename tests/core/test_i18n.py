"""Every user-facing string in code and templates has a Russian translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "N_": None,  # marked for extraction, translated where shown (quiz question type labels)
}
# As babel.cfg: the plain-text mail templates are Jinja too.
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("mail/**.txt", "jinja2")]


def _source_messages() -> set[str]:
    found = set()
    for folder in ("lms", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHODS, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_russian_translation():
    with (ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(_source_messages() - translated)
    assert not missing, f"untranslated (run `make translations-update` and translate): {missing}"


def test_pages_are_russian_by_default_and_english_on_request(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Войти" in html and '<html lang="ru">' in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/login").get_data(as_text=True)
    assert "Sign in" in html and '<html lang="en">' in html


# Words a page may show as written, whatever the language: a language's own name on its switch,
# file formats, and the import's Russian column headings (the import reads them as written).
LITERAL_WORDS = {
    "base.html": {"English", "Русский"},
    "onboarding/preview.html": {"CSV"},
    "onboarding/upload.html": {"ФИО", "Эл", "почта", "Регион", "Логин", "Роль", "Группа"},
    "surveys/results.html": {"CSV", "XLSX"},
}
SHOWN_ATTRIBUTES = re.compile(r'\s(?:aria-label|title|placeholder|alt)\s*=\s*"([^"]*)"')


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def bare_words(source: str) -> list[tuple[int, str]]:
    """Words a template shows outside gettext: in text or in the attributes a person reads or hears."""
    for pattern in (
        r"\{#.*?#\}",
        r"\{%-?\s*trans\b.*?endtrans\s*-?%\}",
        r"\{%.*?%\}",
        r"\{\{.*?\}\}",
        r"<(script|style|code)\b.*?</\1>",
    ):
        source = re.sub(pattern, _blank, source, flags=re.S)
    shown = [(m.start(1), m.group(1)) for m in SHOWN_ATTRIBUTES.finditer(source)]
    text = re.sub(r"<[^>]*>|&#?\w+;", _blank, source, flags=re.S)
    shown += [(m.start(), m.group()) for m in re.finditer(r"[^\s]+", text)]
    return [
        (source.count("\n", 0, start) + 1, word)
        for start, value in shown
        for word in re.findall(r"[^\W\d_]{2,}", value)
    ]


def test_templates_show_no_words_outside_gettext():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        allowed = LITERAL_WORDS.get(name, set())
        words = bare_words(path.read_text(encoding="utf-8"))
        found += [f"{name}:{line}: {word}" for line, word in words if word not in allowed]
    assert not found, "wrap in _() (or add to LITERAL_WORDS with the reason):\n" + "\n".join(found)


def test_the_template_check_sees_text_and_attributes():
    source = '<p title="Hint">{{ _("Fine") }} Bare <code>kept</code> {% if x %}{{ y }} KB{% endif %}</p>'
    assert [word for _line, word in bare_words(source)] == ["Hint", "Bare", "KB"]

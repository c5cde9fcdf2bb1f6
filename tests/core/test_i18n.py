"""Every user-facing string in code and templates has a Russian translation."""

from __future__ import annotations

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
}
METHODS = [("**.py", "python"), ("**.html", "jinja2")]


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

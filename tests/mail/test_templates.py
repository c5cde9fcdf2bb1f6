"""Mail templates: every string of every part (subjects in .txt included) has a Russian translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_mail_string_is_translated():
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "templates" / "mail", [("**.txt", "jinja2"), ("**.html", "jinja2")]
        )
    }
    with (ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert "Your account at the Higher Party School" in found  # the subjects are read too
    assert sorted(found - translated) == []

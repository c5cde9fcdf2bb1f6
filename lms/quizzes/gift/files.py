"""File chores around a GIFT import: a default quiz id and listing the new file in module.md."""

from __future__ import annotations

import re
from pathlib import Path

from lms.quizzes.gift.ids import slugify

ITEMS_LINE = re.compile(r"^items:\s*$")
ITEM_ENTRY = re.compile(r"^(\s+)-\s+\S")


def default_quiz_id(path: Path) -> str:
    """A quiz id from the GIFT file's name: transliterated, lowercase, dashes."""
    return slugify(path.stem) or "gift-quiz"


def add_to_module_items(module_file: Path, file_name: str) -> bool:
    """Append the file to the block list under `items:` in the front matter; False if not possible."""
    text = module_file.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return False
    try:
        end = lines.index("---", 1)
    except ValueError:
        return False
    start = next((i for i in range(1, end) if ITEMS_LINE.match(lines[i])), None)
    if start is None:
        return False
    last, indent = start, "  "
    for index in range(start + 1, end):
        match = ITEM_ENTRY.match(lines[index])
        if not match:
            break
        last, indent = index, match.group(1)
        if lines[index].split("-", 1)[1].strip() == file_name:
            return True
    lines.insert(last + 1, f"{indent}- {file_name}")
    module_file.write_text("\n".join(lines), encoding="utf-8")
    return True

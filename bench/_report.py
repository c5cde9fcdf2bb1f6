"""Write one benchmark's section into docs/benchmarks.md, replacing its previous figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = "# Benchmarks\n\nFigures written by the scripts in `bench/`; rerun them to refresh.\n"


def write_section(title: str, body: str) -> None:
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {title}\n\nMeasured {stamp}.\n\n{body.rstrip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: section + "\n", text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    REPORT.write_text(text.rstrip() + "\n", encoding="utf-8")
    print(f"written to {REPORT.relative_to(REPORT.parent.parent)}")

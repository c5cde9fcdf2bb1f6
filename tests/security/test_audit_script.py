"""`make audit` never turns "could not look anything up" into "no known vulnerabilities"."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

SKIPPED = {
    "name": "flask",
    "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.3)",
}
CLEAN = {"name": "bleach", "version": "6.4.0", "vulns": []}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.2",
    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": [], "description": ""}],
}


def test_nothing_looked_up_is_not_checked():
    code, lines = audit.verdict({"requirements.txt": {"dependencies": [SKIPPED]}, "installed": {}})
    assert code == 3 and lines == [
        "NOT CHECKED: no vulnerability database reachable (no package could be looked up)."
    ]


def test_some_looked_up_is_still_not_a_pass():
    code, lines = audit.verdict({"requirements.txt": {"dependencies": [SKIPPED, CLEAN]}})
    assert code == 3 and "1 of 2 packages could not be looked up" in lines[0]


def test_vulnerabilities_are_listed_with_their_fix():
    code, lines = audit.verdict({"installed": {"dependencies": [CLEAN, VULNERABLE, SKIPPED]}})
    assert code == 1
    assert lines == ["VULNERABLE (installed): jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in: 3.1.3)"]


def test_a_pass_only_when_everything_was_checked():
    code, lines = audit.verdict(
        {"requirements.txt": {"dependencies": [CLEAN]}, "installed": {"dependencies": [CLEAN]}}
    )
    assert code == 0 and lines == ["No known vulnerabilities in 2 packages."]
    assert audit.verdict({"installed": {"dependencies": []}})[0] == 3

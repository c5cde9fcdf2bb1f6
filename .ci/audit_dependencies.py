"""`make audit`: known vulnerabilities in the pinned requirements and in what is installed.

pip-audit says "No known vulnerabilities found" even when it could look nothing up (a registry
mirror without PyPI's JSON API, no network): every package is then only "skipped". This reads
its JSON instead and never reports an all-clear for a package that was not checked.

Exit codes: 0 every package checked, none vulnerable; 1 vulnerabilities found;
3 NOT CHECKED (some or all packages could not be looked up: no vulnerability database reachable).
"""

from __future__ import annotations

import json
import subprocess  # nosec B404  # runs pip-audit, a fixed command line
import sys
import tempfile
from pathlib import Path

VULNERABLE, NOT_CHECKED = 1, 3


def verdict(reports: dict[str, dict]) -> tuple[int, list[str]]:
    """Exit code and lines to print from pip-audit JSON reports, by what each report covered."""
    lines: list[str] = []
    checked = unchecked = 0
    vulnerable = False
    for source, report in reports.items():
        for dependency in report.get("dependencies", []):
            name = f"{dependency['name']} {dependency.get('version', '')}".strip()
            if "skip_reason" in dependency:
                unchecked += 1
                continue
            checked += 1
            for vulnerability in dependency.get("vulns", []):
                vulnerable = True
                fixes = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version yet"
                lines.append(f"VULNERABLE ({source}): {name}: {vulnerability['id']} (fixed in: {fixes})")
    if vulnerable:
        return VULNERABLE, lines
    if unchecked:
        if checked:
            what = f"{unchecked} of {checked + unchecked} packages could not be looked up"
        else:
            what = "no package could be looked up"
        return NOT_CHECKED, [f"NOT CHECKED: no vulnerability database reachable ({what})."]
    if not checked:
        return NOT_CHECKED, ["NOT CHECKED: pip-audit reported no packages at all."]
    return 0, [f"No known vulnerabilities in {checked} packages."]


def run_pip_audit(pip_audit: str, *arguments: str) -> dict | None:
    """pip-audit's JSON report, or None if it failed to produce one (it prints why)."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        command = [pip_audit, *arguments, "--format", "json", "--output", str(output)]
        command += ["--progress-spinner", "off", "--timeout", "15"]
        finished = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
        if not output.exists():
            sys.stderr.write(finished.stderr[-2000:])
            return None
        return json.loads(output.read_text(encoding="utf-8"))


def main() -> int:
    requirements, pip_audit = sys.argv[1], sys.argv[2]
    reports: dict[str, dict] = {}
    for source, arguments in (
        # The pins as shipped (all pinned with ==, so no resolver and no install is needed)...
        (requirements, ("--requirement", requirements, "--no-deps", "--disable-pip")),
        # ...and everything installed beside them, their own dependencies included.
        ("installed", ("--local", "--skip-editable")),
    ):
        report = run_pip_audit(pip_audit, *arguments)
        if report is None:
            print(f"NOT CHECKED: pip-audit could not audit {source} (no vulnerability database reachable?).")
            return NOT_CHECKED
        reports[source] = report
    code, lines = verdict(reports)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The house's layout, checked: no import cycle between files, no arrow against the layers, item
kinds that bring every hook, and no import hidden inside a function without a reason.

The import graph is read from lms/ with the standard library's `ast`, counting every import: inside
functions and `if TYPE_CHECKING:` blocks too, because an import tucked into a function still ties
two files together (that is how the old cycles hid). docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from lms.content.registry import ITEM_KINDS, ItemKind, register
from lms.content.schema import ITEM_FIELDS, Field
from lms.kinds import KINDS

LMS = Path(__file__).resolve().parents[2] / "lms"

DOMAINS = frozenset(
    {
        "accounts",
        "admin",
        "audit",
        "authoring",
        "certificates",
        "content",
        "dashboards",
        "exercises",
        "mail",
        "notifications",
        "onboarding",
        "progress",
        "quizzes",
        "seminars",
        "surveys",
    }
)
PAGE_LAYERS = frozenset({"admin", "onboarding", "dashboards", "authoring"})
# Domain -> the domains its files must not import. Arrows point down: dashboards -> progress ->
# content -> notifications -> accounts -> audit, mail -> core; quizzes and exercises are kinds,
# above progress.
FORBIDDEN: dict[str, frozenset[str]] = {
    "core": DOMAINS | {"cli", "kinds"},
    "extensions": DOMAINS | {"core", "cli", "kinds"},
    "config": DOMAINS | {"core", "extensions", "cli", "kinds"},
    "audit": DOMAINS - {"audit", "accounts"} | {"kinds"},
    "mail": DOMAINS - {"mail", "accounts", "audit"} | {"kinds"},
    "accounts": DOMAINS - {"accounts", "audit", "mail"} | {"kinds"},
    # Notifications are called down into by the feature domains (like audit and mail).
    "notifications": DOMAINS - {"notifications", "accounts", "audit", "mail"} | {"kinds"},
    "content": frozenset(
        {"quizzes", "exercises", "surveys", "progress", "dashboards", "certificates", "seminars"}
    )
    | PAGE_LAYERS
    | {"kinds"},
    "progress": frozenset({"quizzes", "exercises", "surveys", "dashboards", "certificates", "seminars"})
    | PAGE_LAYERS
    | {"kinds"},
    "quizzes": frozenset({"exercises", "surveys", "certificates", "seminars"}) | PAGE_LAYERS | {"kinds"},
    "exercises": frozenset({"quizzes", "surveys", "certificates", "seminars"}) | PAGE_LAYERS | {"kinds"},
    # Surveys are an item kind beside quizzes and exercises, never importing either.
    "surveys": frozenset({"quizzes", "exercises", "certificates", "seminars"}) | PAGE_LAYERS | {"kinds"},
    # Certificates sit beside dashboards: above progress (told of changes by its signal), reading
    # the kinds through their reports.
    "certificates": PAGE_LAYERS | {"kinds", "seminars"},
    # Seminars sit beside dashboards too: above progress and content, reading no kind directly.
    "seminars": PAGE_LAYERS | {"kinds", "quizzes", "exercises", "surveys", "certificates"},
    "dashboards": frozenset({"admin", "onboarding", "authoring", "kinds"}),
    "admin": frozenset({"dashboards", "onboarding", "authoring", "kinds"}),
    "onboarding": frozenset({"dashboards", "admin", "authoring", "kinds"}),
    # Authoring edits course files and imports them: it reads content, progress and the kinds.
    "authoring": frozenset({"dashboards", "admin", "onboarding", "certificates", "seminars", "kinds"}),
}
# Dashboards and certificates read a kind only through the report functions it exports (its
# `reports` module).
READ_THROUGH: dict[str, dict[str, str]] = {
    "dashboards": {"quizzes": "reports", "exercises": "reports", "surveys": "reports"},
    "certificates": {"quizzes": "reports", "exercises": "reports", "surveys": "reports"},
}


def module_name(path: Path, root: Path) -> str:
    """`lms/content/loader.py` -> `lms.content.loader`; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules under `root` it imports, wherever the import statement stands."""
    modules = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [_known_prefix(alias.name, modules) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from lms.progress import services` imports the module lms.progress.services.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _known_prefix(dotted: str, modules: Mapping[str, Path]) -> str:
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every group of files that import each other round in a circle (Tarjan's strongly
    connected components of more than one file), each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def domain(module: str) -> str:
    """`lms.content.loader` -> `content`; `lms.cli` -> `cli`; the `lms` package itself -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def forbidden_arrows(graph: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Every import that points against the layers, as (importer, imported)."""
    found = []
    for source, targets in graph.items():
        here = domain(source)
        for target in targets:
            there = domain(target)
            through = READ_THROUGH.get(here, {}).get(there)
            around = through is not None and target not in (f"lms.{there}", f"lms.{there}.{through}")
            if there in FORBIDDEN.get(here, ()) or around:
                found.append((source, target))
    return sorted(found)


def unexplained_inner_imports(root: Path) -> list[str]:
    """Imports inside a function with no comment saying why: on the import's line, or on the line
    above the block of imports it belongs to (a bare `# noqa` is no reason)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        tree = ast.parse("\n".join(lines), str(path))
        inner = {
            node.lineno
            for function in ast.walk(tree)
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)
            if isinstance(node, (ast.Import, ast.ImportFrom))
        }
        for lineno in sorted(inner):
            first = lineno
            while first > 1 and lines[first - 2].strip().startswith(("import ", "from ")):
                first -= 1
            above = lines[first - 2].strip() if first > 1 else ""
            comment = lines[lineno - 1].partition("#")[2].strip()
            if not (above.startswith("#") or (comment and not comment.startswith("noqa"))):
                found.append(f"{path.relative_to(root.parent)}:{lineno}")
    return found


# --- the checks on lms/ -----------------------------------------------------------------------


def test_no_import_cycle_between_files() -> None:
    assert find_cycles(read_graph(LMS)) == []


def test_no_arrow_against_the_layers() -> None:
    assert forbidden_arrows(read_graph(LMS)) == []


def test_every_import_inside_a_function_says_why() -> None:
    assert unexplained_inner_imports(LMS) == []


# --- the checks can fail ----------------------------------------------------------------------


def test_the_checks_find_a_cycle_and_the_forbidden_arrows() -> None:
    graph = {
        "lms.content.schema": {"lms.quizzes.format", "lms.core.time"},
        "lms.quizzes.format": {"lms.content.schema"},
        "lms.quizzes.models": set(),
        "lms.quizzes.reports": {"lms.quizzes.models"},
        "lms.dashboards.views": {"lms.quizzes.models", "lms.quizzes.reports", "lms.progress.models"},
        "lms.progress.models": set(),
        "lms.core.time": set(),
        "lms.core.web": {"lms.accounts.models"},
        "lms.accounts.models": set(),
        # Notifications are called down into: they may read accounts and queue mail, nothing above.
        "lms.notifications.services": {"lms.accounts.models", "lms.mail.services", "lms.progress.models"},
        "lms.mail.services": set(),
        "lms.exercises.services": {"lms.notifications.services"},
    }
    assert find_cycles(graph) == [["lms.content.schema", "lms.quizzes.format"]]
    assert forbidden_arrows(graph) == [
        ("lms.content.schema", "lms.quizzes.format"),
        ("lms.core.web", "lms.accounts.models"),
        ("lms.dashboards.views", "lms.quizzes.models"),
        ("lms.notifications.services", "lms.progress.models"),
    ]


def test_the_reader_sees_imports_inside_functions_and_type_checking_blocks(tmp_path: Path) -> None:
    root = tmp_path / "lms"
    files = {
        "__init__.py": "",
        "content/__init__.py": "",
        "content/pages.py": "def page():\n    from lms.progress import services\n    return services\n",
        "progress/__init__.py": "",
        "progress/services.py": (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from lms.content.pages import page\n"
        ),
        "progress/views.py": "from . import services\nfrom .. import content\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    graph = read_graph(root)
    assert graph["lms.content.pages"] == {"lms.progress.services"}
    assert graph["lms.progress.services"] == {"lms.content.pages"}
    assert graph["lms.progress.views"] == {"lms.progress.services", "lms.content"}
    assert find_cycles(graph) == [["lms.content.pages", "lms.progress.services"]]
    assert forbidden_arrows(graph) == [("lms.content.pages", "lms.progress.services")]
    assert unexplained_inner_imports(root) == ["lms/content/pages.py:2"]
    (root / "content/pages.py").write_text(
        "def page():\n"
        "    # Imported on use: progress imports this module.\n"
        "    from lms.progress import services\n"
        "    import json\n"
        "    return services, json\n"
        "\n\n"
        "def other():\n"
        "    import os  # noqa: PLC0415\n"
        "    return os\n"
    )
    assert unexplained_inner_imports(root) == ["lms/content/pages.py:9"]


# --- item kinds -------------------------------------------------------------------------------

HOOKS = {"name", "fields", "body", "lint", "page", "page_key", "after_import", "best_percents"}


def test_every_registered_kind_provides_every_hook(app) -> None:
    assert {field.name for field in dataclasses.fields(ItemKind)} == HOOKS, "a new hook needs checks here"
    names = ["lesson", "quiz", "scenario", "assignment", "survey"]
    assert list(ITEM_KINDS) == [kind.name for kind in KINDS] == names
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for name, kind in ITEM_KINDS.items():
        assert isinstance(kind, ItemKind) and kind.name == name
        assert all(isinstance(spec, Field) for spec in kind.fields.values()), name
        assert not set(kind.fields) & set(ITEM_FIELDS), f"{name} redefines a common front matter key"
        assert callable(kind.body) and callable(kind.lint) and callable(kind.after_import), name
        assert kind.page in rules, f"{name}: no page {kind.page}"
        assert rules[kind.page].arguments == {"course_key", kind.page_key}, name
        assert kind.best_percents is None or callable(kind.best_percents), name
    assert [name for name, kind in ITEM_KINDS.items() if kind.best_percents] == ["quiz"]  # what scores


def test_a_kind_name_is_registered_once() -> None:
    register(ITEM_KINDS["quiz"])  # the same kind again: nothing happens
    with pytest.raises(ValueError, match="'quiz' is registered twice"):
        register(dataclasses.replace(ITEM_KINDS["quiz"], page_key="key"))
    assert ITEM_KINDS["quiz"].page_key == "quiz_key"

"""The action catalogue: every action recorded anywhere in lms/ has a label and a group."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lms.audit.actions import ACTION_GROUPS, ACTIONS, action_label, detail_items

LMS = Path(__file__).resolve().parent.parent.parent / "lms"


def _strings(node: ast.AST) -> set[str]:
    """The string literals inside an expression (`"a.b" if x else "a.c"` gives both)."""
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def recorded_actions() -> dict[str, str]:
    """Action codes found in the sources, with where each was found.

    The shapes that reach `record`: `record("x.y", ...)`; a helper whose first parameter is
    `action` and that hands it on (`_audit_grading("grading.claim", ...)`); a keyword
    `action="x.y"` given to a service that records it (`set_new_password`); and
    `action = "x.y" if ... else "x.z"` first. Dotted literals only: review events' own actions
    ("claimed") are not audit codes.
    """
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(LMS.rglob("*.py"))
    }
    recorders = {"record"} | {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "action"
    }
    found: dict[str, str] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            candidates: set[str] = set()
            if isinstance(node, ast.Call):
                if _name(node) in recorders and node.args:
                    candidates |= _strings(node.args[0])
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        candidates |= _strings(keyword.value)
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "action" for target in node.targets
            ):
                candidates |= _strings(node.value)
            for code in candidates:
                if "." in code and " " not in code:
                    found.setdefault(code, f"{path.relative_to(LMS.parent)}:{node.lineno}")
    return found


def test_the_source_scan_finds_every_shape_of_call():
    found = recorded_actions()
    # record("...") in a service, in a view, in a CLI command; action= keywords; an if-else assignment.
    for code in ("user.create", "auth.login_failed", "password.link_issued", "password.change"):
        assert code in found
    assert {"password.set", "password.reset"} <= set(found)
    # This package's own hooks.
    for code in ("grading.claim", "grading.take_over", "grading.accept", "grading.return"):
        assert code in found
    assert {"grading.review_playthrough", "export.region", "export.at_risk", "export.audit"} <= set(found)
    assert {"due.override", "audit.prune"} <= set(found)
    assert "claimed" not in found and "taken_over" not in found  # review events are not audit actions


def test_every_recorded_action_has_a_label():
    missing = {code: where for code, where in recorded_actions().items() if code not in ACTIONS}
    assert missing == {}, f"add these to lms/audit/actions.py ACTION_GROUPS: {missing}"


def test_each_action_is_in_exactly_one_group():
    codes = [code for _key, _label, actions in ACTION_GROUPS for code in actions]
    assert len(codes) == len(set(codes)) == len(ACTIONS)
    keys = [key for key, _label, _actions in ACTION_GROUPS]
    assert len(keys) == len(set(keys))
    for group in (
        "auth",
        "users",
        "passwords",
        "imports",
        "grading",
        "cohorts",
        "exports",
        "mail",
        "sessions",
    ):
        assert group in keys


@pytest.mark.parametrize(("lang", "expected"), [("ru", "Вход выполнен"), ("en", "Signed in")])
def test_labels_follow_the_reader_language(app, lang, expected):
    with app.test_request_context(headers={"Accept-Language": lang}):
        from flask import session

        session["lang"] = lang
        assert action_label("auth.login") == expected
        assert action_label("something.unknown") == "something.unknown"


def test_details_read_as_key_value_pairs(app):
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        items = detail_items(
            {
                "role": ["candidate", "instructor"],
                "sessions_ended": 2,
                "filters": {"status": "behind", "course": "3"},
                "passed": True,
                "email": None,
                "usernames": ["anna", "boris"],
                "custom_key": "x",
            }
        )
    assert items == [
        ("Role", "candidate → instructor"),
        ("Sessions ended", "2"),
        ("Filters", "status=behind, course=3"),
        ("Passed", "✓"),
        ("Email", "—"),
        ("Usernames", "anna, boris"),  # a list of two names, not a change from anna to boris
        ("custom_key", "x"),
    ]

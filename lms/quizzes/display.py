"""What the attempt page shows of a question: its prompt and choices, never its answer key."""
from __future__ import annotations


def question_for_display(layout_item: dict, question: dict) -> dict:
    """Build the take-page view from the served layout; only keys and HTML leave the server."""
    options = {option["key"]: option for option in question.get("options", [])}
    order = [key for key in layout_item.get("options", []) if key in options] or list(options)
    view = {
        "key": question["key"],
        "type": question["type"],
        "points": question.get("points", 1),
        "prompt_html": question.get("prompt_html", ""),
        "choices": [],
        "lefts": [],
    }
    kind = question["type"]
    if kind in ("single", "multiple", "ordering"):
        view["choices"] = [{"key": key, "html": options[key].get("html", "")} for key in order]
    elif kind == "matching":
        view["lefts"] = [{"key": option["key"], "html": option.get("left_html", "")} for option in question["options"]]
        view["choices"] = [{"key": key, "html": options[key].get("right_html", "")} for key in order]
    return view

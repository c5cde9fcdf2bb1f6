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
        view["lefts"] = [
            {"key": option["key"], "html": option.get("left_html", "")} for option in question["options"]
        ]
        # Right sides are offered by their served position, not their pair key: the key equals
        # the left side's own field name, so sending it would give the answer away.
        view["choices"] = [
            {"key": str(position), "html": options[key].get("right_html", "")}
            for position, key in enumerate(order, start=1)
        ]
    return view


def decode_matching(layout_item: dict, question: dict, form: dict[str, list[str]]) -> dict[str, list[str]]:
    """Turn the served positions a matching question posts back into pair keys for grading."""
    order = layout_item.get("options") or [option["key"] for option in question.get("options", [])]
    prefix = f"q-{question['key']}-"
    decoded = dict(form)
    for name, values in form.items():
        if not name.startswith(prefix):
            continue
        keys = []
        for value in values:
            if value.isdecimal() and 1 <= int(value) <= len(order):
                keys.append(order[int(value) - 1])
        decoded[name] = keys
    return decoded


def encode_matching(layout_item: dict, response: dict | None) -> dict[str, str]:
    """The saved matching response (left key -> pair key) as served positions, to refill the form."""
    order = layout_item.get("options") or []
    return {left: str(order.index(key) + 1) for left, key in (response or {}).items() if key in order}

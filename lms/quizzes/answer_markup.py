"""A candidate's saved answer filled into a question's cached markup: the question as the attempt
serves it (`Served`) and the needles of the macro's fields. Apart because it is pure string work on
rendered HTML, with no database and no request."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from lms.quizzes.display import encode_matching


@dataclass(frozen=True)
class Served:
    """A question as an attempt serves it: its place, version and order of options (the key of
    its cached markup), and the candidate's saved answer to it (None: not answered)."""

    number: int
    item: dict
    kind: str | None
    response: object

    @property
    def key(self) -> str:
        return self.item["key"]

    @property
    def version_id(self) -> int:
        return self.item["version_id"]

    @property
    def order(self) -> tuple:
        return tuple(self.item.get("options") or ())


def _insert_after(html: str, needle: str, text: str, start: int = 0, end: int | None = None) -> str:
    at = html.find(needle, start, len(html) if end is None else end)
    if at < 0:
        return html
    at += len(needle)
    return html[:at] + text + html[at:]


def _select(html: str, field_name: str, value: str) -> str:
    """Mark `value` selected in the select named `field_name` (and only in it)."""
    start = html.find(f'<select id="{escape(field_name)}" name="{escape(field_name)}">')
    if start < 0:
        return html
    end = html.find("</select>", start)
    return _insert_after(html, f'<option value="{escape(value)}"', " selected", start, end)


def with_answer(html: str, served: Served) -> Markup:
    """Questions' markup, rendered once without any answer (templates/quizzes/_question.html),
    with this candidate's saved answer to one of them filled in, as the macro itself fills it
    when given one.

    The needles are tags of the macro's form fields, named after the question's key (unique in
    an attempt); content never holds such tags (the sanitiser allows no input, select or
    option), so a match is always the field itself.
    """
    html, response, kind = str(html), served.response, served.kind
    if response is None or kind is None:
        return Markup(html)  # nosec B704  # the macro's own rendered markup, unchanged
    name = f"q-{served.key}"
    if kind == "single":
        html = _insert_after(
            html, f'<input type="radio" name="{escape(name)}" value="{escape(response)}"', " checked"
        )
    elif kind == "truefalse" and isinstance(response, bool):
        value = "true" if response else "false"
        html = _insert_after(html, f'<input type="radio" name="{escape(name)}" value="{value}"', " checked")
    elif kind == "multiple":
        for key in response:
            html = _insert_after(
                html, f'<input type="checkbox" name="{escape(name)}" value="{escape(key)}"', " checked"
            )
    elif kind in ("short", "numeric"):
        value = str(response).replace(".", ",") if kind == "numeric" else str(response)
        html = _insert_after(html, f'<input type="text" name="{escape(name)}" value="', str(escape(value)))
    elif kind == "ordering":
        placed: set[str] = set()
        for position, key in enumerate(response, start=1):
            if key is not None and key not in placed:  # its first place, as list.index finds it
                placed.add(key)
                html = _select(html, f"{name}-{key}", str(position))
    elif kind == "matching":
        for left, position in encode_matching(served.item, response).items():
            html = _select(html, f"{name}-{left}", position)
    return Markup(html)  # nosec B704  # the macro markup with escaped values and fixed words inserted

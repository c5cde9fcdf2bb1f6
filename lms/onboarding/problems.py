"""What is wrong with a file, a row or a cell, as a message code and its values.

The pure modules (reading, columns, names, values) speak in codes so they need no Flask; the
messages module turns a code into a sentence in the reader's language.
"""

from __future__ import annotations

from typing import Any


class Problem:
    """A message code (a key of lms.onboarding.messages.MESSAGES) and the values it names:
    Problem("region_unknown", value="Атлантида")."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.code, self.params) == (other.code, other.params)

    __hash__ = None  # type: ignore[assignment]  (params are mutable)

    def __repr__(self) -> str:
        return f"Problem({self.code!r}, {self.params!r})"


class FileRefused(Exception):
    """The file as a whole cannot be imported (wrong type, too big, a required column missing...)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.problem = Problem(code, **params)

"""`{% cache key, ... %}…{% endcache %}`: a template fragment rendered once per key, per worker.

For the parts of the busiest pages that read the same for everybody: a lesson's text, pager and
contents, the site header of a role. The key lists everything the fragment shows, versions and the
language included, so nothing ever needs expiring: changed content brings a new key, and old
entries leave when the cache is full. Each block's key starts with the block's own number, so two
blocks never share an entry. Never cache anything personal (a name, a CSRF token, progress).

Written here rather than taken from Flask-Caching: its tag joins key parts with "_" (so "1_2", "3"
and "1", "2_3" collide) and pickles every hit; this one keys by tuple and keeps the Markup as is.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

# Bounds per worker: a few thousand lessons × two languages, and at most ~64 MB of text (a long
# lesson's text is tens of kilobytes; menus and pagers are a few hundred bytes).
MAX_FRAGMENTS = 8192
MAX_CHARACTERS = 32_000_000


class FragmentCache(Extension):
    """The `cache` tag. Entries live in `environment.fragments`, a plain dict (one per app)."""

    tags = {"cache"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(fragments={})
        self._block_numbers = itertools.count(1)
        self._characters = 0
        self._adding = threading.Lock()  # gthread workers render in threads; a miss is rare

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        block = f"{parser.name}:{lineno}:{next(self._block_numbers)}"
        key = [nodes.Const(block), parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            key.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_fragment", [nodes.Tuple(key, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, key: tuple[Hashable, ...], caller: Callable[[], Markup]) -> Markup:
        fragments: dict = self.environment.fragments  # type: ignore[attr-defined]
        html = fragments.get(key)
        if html is None:
            html = caller()
            with self._adding:
                if key not in fragments:
                    fragments[key] = html
                    self._characters += len(html)
                while len(fragments) > MAX_FRAGMENTS or self._characters > MAX_CHARACTERS:
                    self._characters -= len(fragments.pop(next(iter(fragments))))  # the oldest
        return html

"""A walker that requests every page (GET) of the app and reports the ones that wrote to the database.

"No state change on GET": a link can be followed by a prefetching browser, a crawler, a mail
scanner or a forged <img>. The only writes a page may make are the view-tracking ones listed in
ALLOWED_WRITES, each with its reason; anything else is reported.
"""

from __future__ import annotations

import html
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import event

from lms.audit.models import AuditEvent
from lms.extensions import db

# (verb, table): why a page may write it. Nothing else may be written while a page is served.
ALLOWED_WRITES: dict[tuple[str, str], str] = {
    ("INSERT", "lesson_progress"): "a lesson's first view",
    ("UPDATE", "lesson_progress"): "a lesson that completes on view",
    ("INSERT", "enrolments"): "enrolment on a candidate's first visit to a course",
    ("UPDATE", "enrolments"): "last lesson and last activity; counts a completion on view bumps",
    ("INSERT", "region_course_stats"): "the rollups an enrolment or a completion on view bumps",
    ("UPDATE", "region_course_stats"): "the rollups an enrolment or a completion on view bumps",
    ("INSERT", "cohort_course_stats"): "the rollups an enrolment or a completion on view bumps",
    ("UPDATE", "cohort_course_stats"): "the rollups an enrolment or a completion on view bumps",
    ("INSERT", "module_progress"): "the heatmap's module counts a first view or a completion on view bumps",
    ("UPDATE", "login_sessions"): "the session's last activity (at most every few minutes)",
    ("UPDATE", "quiz_attempts"): "closing a quiz attempt whose deadline passed",
    ("INSERT", "quiz_attempt_answers"): "grading an attempt closed by its deadline",
    ("UPDATE", "quiz_attempt_answers"): "grading an attempt closed by its deadline",
    ("INSERT", "course_completions"): "a completion on view that meets the course's completion rule",
    ("UPDATE", "course_completions"): "a completion on view that meets the course's rule again",
    ("INSERT", "certificates"): "the certificate of a completion on view",
    ("INSERT", "certificate_lookups"): "the public certificate check counts look-ups per address",
    ("DELETE", "certificate_lookups"): "the public certificate check drops counts past its window",
    # Checked row by row: only records of exports ("export.region", ...) may be written on GET.
    ("INSERT", "audit_events"): "the record of a dashboard export",
}
ALLOWED_AUDIT_PREFIX = "export."

WRITE_RE = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
HREF_RE = re.compile(r'href="([^"]+)"')


@dataclass
class Visit:
    who: str
    url: str
    status: int
    writes: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list, repr=False)
    repeated_ids: list[str] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)
    escaped_hostile: bool = False  # shows a hostile value's markup as text, escaped


# What the hostile values (test_forms_take_hostile_input) call: found in a script or an event
# handler of a page, a stored value reached the page as markup instead of text.
INJECTED_CALL = "alert("
ESCAPED_HOSTILE = "&lt;script&gt;alert(1)"


class _Markup(HTMLParser):
    """A page's elements as a browser reads them (not text that looks like them): every id, and
    scripts or event handlers that call what the hostile values call."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.injected: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)
        self.injected += [
            f"<{tag} {name}>"
            for name, value in attrs
            if name.startswith("on") and INJECTED_CALL in (value or "")
        ]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and INJECTED_CALL in data:
            self.injected.append("<script>")


def _markup(page: str) -> _Markup:
    parser = _Markup()
    parser.feed(page)
    parser.close()
    return parser


class Writes:
    """The INSERT, UPDATE and DELETE statements sent while the block runs, as (verb, table)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __enter__(self) -> Writes:
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        match = WRITE_RE.match(statement)
        if match:
            self.seen.append((match.group(1).split()[0].upper(), match.group(2).lower()))


def get_urls(app: Flask, samples: dict[str, list], per_endpoint: dict[str, list[dict]]) -> list[str]:
    """Every URL of every rule that answers GET, its parameters filled from `per_endpoint`
    (whole sets of values, for parameters that belong together) or else `samples` (by name).

    A parameter with no sample fails loudly: a new page must be given one, not skipped.
    """
    urls: list[str] = []
    missing: list[str] = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            if "GET" not in (rule.methods or ()):
                continue
            if rule.endpoint in per_endpoint:
                sets = per_endpoint[rule.endpoint]
            else:
                names = sorted(rule.arguments)
                unknown = [name for name in names if name not in samples]
                if unknown:
                    missing.append(f"{rule.rule} ({', '.join(unknown)})")
                    continue
                sets = [
                    dict(zip(names, values, strict=True))
                    for values in itertools.product(*(samples[name] for name in names))
                ]
            urls.extend(url_for(rule.endpoint, **values) for values in sets)
    assert not missing, "no sample values for: " + "; ".join(missing)
    return list(dict.fromkeys(urls))


def _links(page: str) -> Iterable[str]:
    """Same-site links of a page (pagination, filters, actions written as links...)."""
    for href in HREF_RE.findall(page):
        url = html.unescape(href).split("#", 1)[0]
        if url.startswith("/") and not url.startswith("//") and not url.startswith("/static/"):
            yield url


def walk(browsers: dict[str, FlaskClient], urls: list[str], *, follow_links: int = 200) -> list[Visit]:
    """GET every URL as every browser (and the same-site links the pages show, up to
    `follow_links` more per browser); each visit with the writes it made and what was wrong."""
    visits: list[Visit] = []
    for who, browser in browsers.items():
        queue = list(urls)
        seen = set(queue)
        followed = 0
        while queue:
            url = queue.pop(0)
            visit = _visit(who, browser, url)
            visits.append(visit)
            for link in visit.links:
                if link not in seen and followed < follow_links:
                    seen.add(link)
                    queue.append(link)
                    followed += 1
    return visits


def _visit(who: str, browser: FlaskClient, url: str) -> Visit:
    last_event = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    db.session.rollback()
    with Writes() as writes:
        try:
            response = browser.get(url)
        except Exception as error:  # a page that raises is reported, not fatal to the walk
            return Visit(who, url, 500, writes.seen, [f"raised {error!r}"])
    visit = Visit(who, url, response.status_code, writes.seen)
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        visit.links = list(_links(page))
        markup = _markup(page)
        # A label, a skip link or a script looking a repeated id up finds the first, whichever.
        visit.repeated_ids = sorted(name for name, count in markup.ids.items() if count > 1)
        visit.injected = markup.injected
        visit.escaped_hostile = ESCAPED_HOSTILE in page
    response.close()
    for verb, table in writes.seen:
        if (verb, table) not in ALLOWED_WRITES:
            visit.problems.append(f"{verb} {table}")
    if ("INSERT", "audit_events") in writes.seen:
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id > last_event)).all()
        db.session.rollback()
        visit.problems += [
            f"audit record {action}" for action in actions if not action.startswith(ALLOWED_AUDIT_PREFIX)
        ]
    return visit


def report(visits: list[Visit]) -> str:
    bad = [visit for visit in visits if visit.problems]
    return "\n".join(
        f"{visit.who:>12} GET {visit.url} -> {visit.status}: {', '.join(visit.problems)}" for visit in bad
    )

"""Bad input gets a clear answer, never a server error: every form of the app that a role's pages
show is sent back with hostile values in each field it has (markup, formula and SQL strings,
control characters, overlong text, impossible numbers and dates, options that are not offered),
and must answer below 500.

The forms come from the pages themselves (the GET walk of test_get_is_safe over the same school),
so a new form is covered as soon as a page shows it: POST and GET forms, the other addresses a
form's buttons and scripts send it to (`formaction`, `data-*url`: the quiz's save, the editor's
preview), links with a query (pages, sorting, filters), and broken files in every file field.
Sign-out forms are left out: they would end the walk's own session.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from tests.security.getwalk import walk
from tests.security.test_get_is_safe import school  # noqa: F401 (the walk's school, a fixture)

# Each value is tried in every field of a form, one value per submission.
HOSTILE = [
    '<script>alert(1)</script><img src=x onerror="alert(2)">=HYPERLINK("x")\'; DROP TABLE users; --',
    "\u202e\u0000\x07\ufeff\ud7ff\ufffd\n\r\t",
    "9" * 40,
    "-1e309",
    "2026-02-30T25:61",
    "я" * 20_000,
]
# Each is sent in every file field of a form, with the rest of the form as the page gave it: an
# empty file, a picture that is not one, a table that is a zip of nothing, names that climb out of a
# folder or carry control characters.
HOSTILE_FILES = [
    ("empty.pdf", b""),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("people.xlsx", b"PK\x05\x06" + b"\x00" * 18),
    ("../../../etc/passwd", b"root:x:0:0"),
    ("\u202egpj.exe\x00.pdf", b"%PDF-1.4\n%%EOF"),
]
# Forms that end the session the walk goes on with.
LEFT_OUT = ("/logout", "/sessions/revoke-others")


@dataclass
class Form:
    method: str  # "get" (a filter, a search) or "post"
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> the value the page gave
    files: set[str] = field(default_factory=set)
    other_actions: set[str] = field(default_factory=set)  # formaction, data-*url

    @property
    def shape(self) -> str:
        """The same form of another row (another course's staff form) has the same shape."""
        names = [*sorted(self.fields), *sorted(self.files)]
        return re.sub(r"\d+", "N", " ".join([self.method, self.action, *names]))


class FormParser(HTMLParser):
    """The forms of a page with their fields (inputs, selects, textareas, a submit's name)."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = urljoin(self.page_url, values.get("action") or self.page_url).split("#")[0]
            self.current = Form(values.get("method", "get").lower(), action)
            self.forms.append(self.current)
        if self.current is None:
            return
        # Where else the form's fields are sent: a button's `formaction` (the quiz's "save"), and
        # the addresses its script posts them to (`data-*url`: autosave, the editor's preview).
        for name, value in values.items():
            if value and (name == "formaction" or (name.startswith("data-") and name.endswith("url"))):
                self.current.other_actions.add(urljoin(self.page_url, value).split("#")[0])
        if tag == "form" or not values.get("name"):
            return
        name = values["name"]
        if tag == "input" and values.get("type") == "file":
            self.current.files.add(name)
        elif tag in ("input", "select", "textarea", "button"):
            self.current.fields.setdefault(name, values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def forms_of(page: str, url: str, links: list[str]) -> list[Form]:
    """The page's forms, and its links with a query (`?page=2`, a sort) as the GET forms they are."""
    parser = FormParser(url)
    parser.feed(page)
    forms = [form for form in parser.forms if not form.action.endswith(LEFT_OUT)]
    forms += [
        Form(form.method, action, form.fields, form.files)
        for form in list(forms)
        for action in sorted(form.other_actions - {form.action})
    ]
    for form in forms:
        if form.method == "get":  # a browser replaces the action's query with the form's fields
            form.action = urlunsplit((*urlsplit(form.action)[:3], "", ""))
    for link in links:
        address = urlsplit(urljoin(url, link))
        if address.query:
            fields = dict(parse_qsl(address.query, keep_blank_values=True))
            forms.append(Form("get", urlunsplit((*address[:3], "", "")), fields))
    return forms


def hostile_posts(form: Form) -> list[tuple[str, dict]]:
    """One submission per (field, hostile value): the rest of the form as the page gave it, so the
    hostile value reaches the field's own validation instead of failing on a missing neighbour."""
    names = sorted(name for name in form.fields if name != "csrf_token")
    posts: list[tuple[str, dict]] = [
        (name, {**form.fields, name: value}) for name, value in itertools.product(names, HOSTILE)
    ]
    for name, (filename, content) in itertools.product(sorted(form.files), HOSTILE_FILES):
        posts.append((name, {**form.fields, name: (io.BytesIO(content), filename)}))
    return posts


def test_every_form_answers_hostile_values_without_a_server_error(school, app):  # noqa: F811
    urls, browsers = school
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a view that raises answers 500, as in production
    failures: list[str] = []
    sent = files_sent = 0
    shapes: set[str] = set()
    for visit in walk(browsers, urls):
        if visit.status != 200:
            continue
        browser = browsers[visit.who]
        page = browser.get(visit.url)
        text = page.get_data(as_text=True) if page.mimetype == "text/html" else ""
        page.close()  # a download's file too
        for form in forms_of(text, "http://localhost" + visit.url, visit.links):
            if form.shape in shapes:  # once, as the first role the walk shows it to
                continue
            shapes.add(form.shape)
            for name, data in hostile_posts(form):
                if form.method == "post":
                    response = browser.post(form.action, data=data)
                else:
                    response = browser.get(form.action, query_string=data)
                sent += 1
                value = data[name] if isinstance(data[name], str) else data[name][1]  # a file's name
                files_sent += name in form.files
                if response.status_code >= 500:
                    failures.append(f"{visit.who} {form.action} {name}={value[:40]!r}: {response.status}")
                response.close()
    print(f"{len(shapes)} forms, {sent} hostile submissions, {files_sent} of them files")
    # The walk found the app's forms: its filters and addresses with a query, and those that post.
    assert sum(shape.startswith("post") for shape in shapes) > 100
    assert sum(shape.startswith("get") for shape in shapes) > 30
    assert files_sent >= 4 * len(HOSTILE_FILES)  # attachments, images, materials, people to import
    assert not failures, "forms that answered a server error:\n" + "\n".join(failures)

    # What the forms stored is shown as text on every page, never as markup a browser would run.
    visits = [visit for visit in walk(browsers, urls) if visit.status == 200]
    injected = sorted({f"{v.who} {v.url}: {', '.join(v.injected)}" for v in visits if v.injected})
    assert not injected, "stored values shown as markup:\n" + "\n".join(injected)
    shown = {visit.url for visit in visits if visit.escaped_hostile}
    print(f"{len(shown)} pages show a stored hostile value, escaped")
    assert len(shown) >= 10  # the values were stored and shown: the check above had them to look at

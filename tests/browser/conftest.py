"""Browser journeys: Playwright driving Debian's chromium against a live server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# The page walk checks layout and accessibility, which do not depend on the database; every page's
# SQL runs on PostgreSQL too in tests/security/test_get_is_safe.py (the same pages, test client).
SQLITE_ONLY = ("tests/browser/test_every_page.py",)


def pytest_collection_modifyitems(config, items):
    deselected = []
    for item in items:
        path = str(item.fspath)
        if "tests/browser/" in path:
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if on_postgres and path.endswith(SQLITE_ONLY):
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system chromium; `playwright install` cannot download browsers here."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser journeys skipped")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (cookies, storage) per test, Russian locale like the school's users."""
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _buffered(wsgi_app):
    """Read each response whole and close it before sending.

    When the browser drops a connection mid-response (it navigates away while the favicon is still
    coming), werkzeug's development server never closes the response, so a static file's handle
    leaks and `filterwarnings = error` turns the ResourceWarning into a failed test.
    """

    def app(environ, start_response):
        iterable = wsgi_app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return app


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test app served by a real HTTP server in a thread, on a free port."""
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base_url  # links in mail point at this server
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def login(page, live_server):
    """Sign in through the real form, in Russian as the school uses it."""

    def sign_in(username: str, password: str) -> None:
        page.goto(f"{live_server}/login")
        page.get_by_label("Имя пользователя").fill(username)
        page.get_by_label("Пароль").fill(password)
        page.get_by_role("main").get_by_role("button", name="Войти").click()

    return sign_in


AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core 4.14 (vendored, MPL-2.0) on the page as it is now; returns its violations."""
    page.wait_for_load_state("load")  # a page still arriving has no document for axe to read
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # through DevTools, so the page's CSP (script-src 'self') allows it
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


# axe-core no longer reports an id given to two elements (its duplicate-id rules are deprecated),
# yet a label, a skip link or a script looking the id up gets the first one, whichever it is.
REPEATED_IDS = """() => {
  const counts = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    counts.set(element.id, (counts.get(element.id) || 0) + 1);
  }
  return [...counts].filter(([, count]) => count > 1).map(([id]) => id).sort();
}"""


def assert_accessible(page: Page) -> None:
    """No axe-core violation on the page as it is now, and no id on two elements."""
    violations = axe_violations(page)
    assert violations == [], f"axe-core violations on {page.url}: {violations}"
    repeated = page.evaluate(REPEATED_IDS)
    assert repeated == [], f"ids on two elements on {page.url}: {repeated}"


def assert_fits(page: Page, width: int = 320) -> None:
    """At `width` CSS pixels the page scrolls only vertically (no sideways scrolling)."""
    page.set_viewport_size({"width": width, "height": 800})
    # Measured once the page has the new width: right after a resize from a wide viewport, a page
    # was once measured at its old layout (549 px at 320) under a loaded CI.
    page.wait_for_function("width => window.innerWidth === width", arg=width)
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at {width}px"

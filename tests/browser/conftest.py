"""Browser tests: Debian's chromium driven by Playwright (sync API), with axe-core scans.

Never downloads a Playwright browser: the system chromium is launched through `executable_path`.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Playwright waits this long (ms) for an element or a navigation before failing (the rights engine warms up
# on its first simulation, which can take several seconds on a loaded machine).
TIMEOUT_MS = 30_000


def pytest_collection_modifyitems(config, items):
    # A conftest's collection hook sees every item of the session: mark only the ones in this folder.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --- Chromium ---


@pytest.fixture(scope="session")
def playwright_instance():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"chromium not found at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in its own fresh context (cookies, JavaScript setting, viewport).

    Every document the page navigates to is recorded in `page.visited`, so that a test can check at the end
    that `assert_accessible` ran on each of them (`assert_every_page_scanned`).
    """
    contexts = []

    def make(**options):
        options = {"locale": "fr-FR", "base_url": live_server.url, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.javascript_enabled = options.get("java_script_enabled", True)
        if not page.javascript_enabled:
            # axe-core needs JavaScript: this page's HTML is scanned in a twin page that has it.
            twin_context = browser.new_context(locale="fr-FR", viewport=page.viewport_size)
            contexts.append(twin_context)
            page.twin = twin_context.new_page()
        page.visited, page.scanned = [], set()
        page.on("framenavigated", lambda frame: frame == page.main_frame and page.visited.append(frame.url))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# --- Accessibility ---


def _describe(violations) -> str:
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])]
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        lines.append(f"    nodes: {', '.join(targets)}")
    return "\n".join(lines)


def _axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response.get("violations", [])


def _axe_violations_without_javascript(page) -> list[dict]:
    """axe-core is JavaScript: a page shown without it is scanned as served, in a twin page with JavaScript.

    The twin gets the very HTML the page received (the server is not asked again, so a form's error state is
    scanned too); its stylesheets come from the live server as usual.
    """
    html, url = page.content(), page.url.split("#")[0]
    twin, served = page.twin, []

    def serve(route):
        served.append(route.request.url)
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    twin.route(url, serve)
    try:
        twin.goto(url)
    finally:
        twin.unroute(url, serve)
    assert served == [url], f"the twin page did not get the HTML to scan: {served}"
    return _axe_violations(twin)


def assert_accessible(page) -> None:
    """Run axe-core on the page as it is now; fail listing every violation (id, impact, targets)."""
    page.wait_for_load_state()
    if getattr(page, "javascript_enabled", True):
        violations = _axe_violations(page)
    else:
        violations = _axe_violations_without_javascript(page)
    if hasattr(page, "scanned"):
        page.scanned.add(page.url.split("#")[0])
    if violations:
        pytest.fail(f"axe-core: {len(violations)} violation(s) on {page.url}:\n{_describe(violations)}", pytrace=False)


def assert_every_page_scanned(page) -> None:
    visited = dict.fromkeys(url.split("#")[0] for url in page.visited)
    missed = [url for url in visited if url not in page.scanned and url != "about:blank"]
    assert not missed, f"pages visited but never scanned by axe-core: {missed}"

"""Headless Debian Chromium driven by Playwright against pytest-django's live server; screenshots on failure."""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Chromium names what it refused to load in quotes: "Loading the image 'https://…' violates …".
CSP_BLOCKED_URL = re.compile(r"'(https?://[^']+)'")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MISSING_BROWSER = (
    "BROWSER TESTS SKIPPED: {what} is missing. Install Debian's browser with `apt-get install chromium` "
    "(and the Python package with `make install-dev`) to run them; CI sets COMMLOGS_REQUIRE_BROWSER=1 to fail instead."
)


def missing_browser_part():
    """What the browser tests need and this machine lacks, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright"
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium") == CHROMIUM):
        return f"Chromium ({CHROMIUM}, Debian package chromium)"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per test module; skipped loudly (or failed in CI) without it."""
    missing = missing_browser_part()
    if missing:
        message = MISSING_BROWSER.format(what=missing)
        if os.environ.get("COMMLOGS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while it lives; Django would then refuse the
    # tests' ORM calls. Module scope ends both before the rest of the suite runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def blocks_our_own_content(console_text, live_host):
    """Whether a console message reports the policy blocking a script, style or load from our own origin."""
    if "Content Security Policy" not in console_text:
        return False
    named = CSP_BLOCKED_URL.search(console_text)
    return named is None or urlparse(named.group(1)).netloc == live_host


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser tab on the live server; a failed test leaves a screenshot in test-artifacts/.

    Whatever the test did, the browser must not have blocked anything of ours under the
    Content-Security-Policy: a blocked script or style would leave a page that looks served but does not
    work. Loads from other sites are blocked by design (Redoc asks its vendor's CDN for a logo).
    """
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    blocked = []
    live_host = urlparse(live_server.url).netloc
    tab.on("console", lambda message: blocks_our_own_content(message.text, live_host) and blocked.append(message.text))
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert blocked == [], "the browser blocked content under the Content-Security-Policy"
